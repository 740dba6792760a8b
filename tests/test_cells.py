"""What a notebook's test cell returns: the points as text, feedback as Markdown, no stderr.

nbgrader reads a test cell's ``execute_result`` as partial credit and gives 0
to a cell that wrote to stderr, so these tests pin that contract with
nbgrader's own ``determine_grade`` and IPython's own display formatter. The
full kernel round trip is in ``test_nbgrader.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autograder import cells
from autograder.cells import CheckLine, PartGrade, grade_part
from autograder.registry import Assignment
from autograder.release.notebooks import render_source_notebooks
from tests.conftest import SOLUTIONS

GRADE = PartGrade("01_manual_autograd", "sgd_step", 2.5, 7.0, checks=(
    CheckLine("in place", "passed", 2.5, 2.5, "Passed."),
    CheckLine("returns the loss", "failed", 0.0, 4.5, "expected `w_1` *before* the <update>"),
    CheckLine("hidden", "failed", 0.0, 1.0, ""),
), graded="Graded manual_autograd.ipynb")


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cells, "_graded", {})


def _mime_bundle(value: object) -> dict[str, Any]:
    from IPython.core import formatters
    data, _ = formatters.DisplayFormatter().format(value)
    return data


def test_plain_text_is_the_points_and_markdown_the_feedback() -> None:
    data = _mime_bundle(GRADE)
    assert data["text/plain"] == "2.5"
    markdown = data["text/markdown"]
    assert "`sgd_step`: 2.5 / 7 points" in markdown
    assert "expected `w_1` \\*before\\* the \\<update\\>" in markdown  # code spans kept
    assert "**FAIL** 0/4.5 returns the loss" in markdown


def test_nbgrader_reads_the_cell_output_as_partial_credit() -> None:
    """The contract, checked with nbgrader's own determine_grade."""
    from nbformat.v4 import new_code_cell, new_output
    from nbgrader import utils

    cell = new_code_cell("grade_part(...)", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 7.0,
        "grade_id": "test_sgd_step", "schema_version": 3}})
    cell.outputs = [new_output("execute_result", data=_mime_bundle(GRADE), execution_count=1)]
    assert utils.determine_grade(cell) == (2.5, 7.0)
    cell.outputs.insert(0, new_output("stream", name="stderr", text="UserWarning: ...\n"))
    assert utils.determine_grade(cell) == (0, 7.0)  # why grade_part must stay silent


def test_missing_notebook_scores_zero_quietly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_linear (1).ipynb").write_text("{}")
    grade = grade_part("02_my_linear", "MyLinear")
    assert (repr(grade), grade.max_points) == ("0", None)
    assert "No my_linear.ipynb in" in grade.message and "my_linear (1).ipynb" in grade.message
    assert capfd.readouterr() == ("", "")


def test_unreadable_notebook_and_unknown_assignment_score_zero_quietly(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "my_linear.ipynb"
    broken.write_text('{"cells": [')
    grade = grade_part("02_my_linear", "MyLinear", path=broken)
    assert repr(grade) == "0" and "not valid JSON" in grade.message
    unknown = grade_part("99_nothing", "f", path=broken)
    assert repr(unknown) == "0" and "unknown assignment '99_nothing'" in unknown.message
    assert capfd.readouterr() == ("", "")


def test_a_crashing_grader_is_a_zero_with_a_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    notebook = tmp_path / "my_linear.ipynb"
    notebook.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                    "cells": []}))
    monkeypatch.setattr(cells.sys, "executable", str(tmp_path / "no-python-here"))
    grade = grade_part("02_my_linear", "MyLinear", path=notebook)
    assert repr(grade) == "0" and grade.message.startswith("The grader failed")
    assert capfd.readouterr() == ("", "")
    assert not cells._graded  # a grader failure is not remembered: the next run retries


def test_grades_the_saved_file_once_per_content(
        assignments: tuple[Assignment, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]
) -> None:
    [linear] = [a for a in assignments if a.name == "02_my_linear"]
    solved = render_source_notebooks(solutions=SOLUTIONS, assignments=[linear])
    notebook = tmp_path / linear.notebook_filename
    notebook.write_text(solved[f"{linear.name}/{linear.notebook_filename}"])
    monkeypatch.chdir(tmp_path)

    grade = grade_part("02", "MyLinear")  # a real grading run, as `torchgrade check`
    assert (repr(grade), grade.max_points) == ("20", 20.0)
    assert {c.status for c in grade.checks} == {"passed"} and len(grade.checks) >= 2
    assert "**PASS**" in grade._repr_markdown_()
    assert capfd.readouterr() == ("", "")

    runs: list[bytes] = []

    def recorded(assignment: Assignment, data: bytes) -> dict[str, Any]:
        runs.append(data)
        return {"status": "graded", "message": "", "checks": [
            {"part": "MyLinear", "name": "n", "status": "failed", "points": 0.0,
             "max_points": 20.0, "feedback": "f"}]}

    monkeypatch.setattr(cells, "_grade_saved", recorded)
    assert repr(grade_part("02_my_linear", "MyLinear")) == "20"  # same bytes: no new run
    assert runs == []
    notebook.write_text(notebook.read_text() + "\n")  # saved again, changed
    assert repr(grade_part("02_my_linear", "MyLinear")) == "0"
    assert repr(grade_part("02_my_linear", "MyLinear")) == "0"
    assert len(runs) == 1
    assert "No check of 02_my_linear is about part 'forward'" in grade_part(
        "02_my_linear", "forward").message
