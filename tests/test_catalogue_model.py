"""The catalogue model itself: loading a folder and the verdicts on graded variants.

The variants of this checkout's catalogue are graded in ``test_catalogue``;
here small hand-made catalogues and results show that a wrong catalogue is
refused and that a verdict does fail when a variant was graded otherwise
than declared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.catalogue import (
    CatalogueError,
    Mistake,
    Replace,
    alternative_problems,
    fails,
    load_catalogue,
    mistake_problems,
)
from autograder.results import AssignmentResult, CheckResult, SubmissionResult

NAMES = ("01_a", "02_b")
HEADER = "from autograder.catalogue import Alternative, Mistake, Replace, fails\n"


def _write(folder: Path, mistakes: str, alternatives: str = "ALTERNATIVES = []\n") -> Path:
    (folder / "mistakes").mkdir(parents=True)
    (folder / "alternatives").mkdir()
    (folder / "mistakes" / "a.py").write_text(HEADER + mistakes)
    (folder / "alternatives" / "a.py").write_text(HEADER + alternatives)
    return folder


def _result(statuses: dict[str, str]) -> SubmissionResult:
    """Two assignments of two 10-point checks each; ``statuses`` by check id."""
    assignments = []
    for name in NAMES:
        checks = []
        for check in ("x", "y"):
            status = statuses.get(f"{name}/{check}", "passed")
            checks.append(CheckResult(
                id=f"{name}/{check}", name=check, max_points=10.0,
                points=10.0 if status == "passed" else 0.0, status=status,
                visibility="public", feedback="Passed." if status == "passed"
                else "weight should be an nn.Parameter"))
        assignments.append(AssignmentResult(name=name, status="graded", checks=tuple(checks),
                                            max_score=20.0))
    return SubmissionResult(submission="s", assignments=tuple(assignments))


MISTAKE = Mistake(name="m", assignment="01_a", edits=(Replace("a", "b"),),
                  fails=fails("01_a", "x"), feedback="nn.Parameter")


def test_a_folder_loads_in_file_order(tmp_path: Path) -> None:
    folder = _write(tmp_path, 'MISTAKES = [Mistake(name="m", assignment="01_a", edits=(), '
                              'fails=fails("01_a", "x"), feedback="f")]\nUNCAUGHT = []\n',
                    'ALTERNATIVES = [Alternative(name="alt", assignment="02_b", edits=())]\n')
    catalogue = load_catalogue(folder, assignments=NAMES)
    assert [m.label for m in catalogue.mistakes] == ["01_a:m"]
    assert [a.label for a in catalogue.alternatives] == ["02_b:alt"]


@pytest.mark.parametrize("mistakes,message", [
    ('MISTAKES = [Mistake(name="m", assignment="09_z", edits=(), fails=fails("09_z", "x"), '
     'feedback="f")]\n', "unknown assignment '09_z'"),
    ('M = Mistake(name="m", assignment="01_a", edits=(), fails=fails("01_a", "x"), '
     'feedback="f")\nMISTAKES = [M, M]\n', "two variants are called 01_a:m"),
    ('MISTAKES = [Mistake(name="m", assignment="01_a", edits=(), fails=fails("02_b", "x"), '
     'feedback="f")]\n', "names checks of another assignment"),
    ("MISTAKES = [undefined_name]\n", "NameError"),
])
def test_a_wrong_catalogue_is_refused(tmp_path: Path, mistakes: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(_write(tmp_path, mistakes), assignments=NAMES)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no mistake catalogue"):
        load_catalogue(tmp_path, assignments=NAMES)


def test_an_edit_that_does_not_match_exactly_once_fails_loudly() -> None:
    with pytest.raises(CatalogueError, match="found 2"):
        Replace("a", "b")("a a")


def test_a_mistake_caught_as_declared_has_no_problems() -> None:
    assert mistake_problems(_result({"01_a/x": "failed"}), MISTAKE) == []


@pytest.mark.parametrize("statuses,problem", [
    ({}, "passed but should fail: 01_a/x"),
    ({"01_a/x": "failed", "01_a/y": "failed"}, "failed but not declared: 01_a/y"),
    ({"01_a/x": "failed", "02_b/x": "failed"}, "02_b scored 10/20"),
])
def test_a_mistake_graded_otherwise_is_reported(statuses: dict[str, str], problem: str) -> None:
    assert any(problem in text for text in mistake_problems(_result(statuses), MISTAKE))


def test_feedback_that_does_not_say_why_is_reported() -> None:
    vague = Mistake(name="m", assignment="01_a", edits=(), fails=fails("01_a", "x"),
                    feedback="in place")
    assert mistake_problems(_result({"01_a/x": "failed"}), vague) == [
        "no failing check's feedback says 'in place'"]


def test_an_alternative_that_fails_a_check_is_reported() -> None:
    assert alternative_problems(_result({})) == []
    assert alternative_problems(_result({"02_b/y": "error"})) == [
        "02_b/y: error: weight should be an nn.Parameter"]
