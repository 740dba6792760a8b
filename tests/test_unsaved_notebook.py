"""A notebook's test cell says when the kernel runs code the saved file does not hold.

The test cells grade the saved ``.ipynb`` in a fresh process; a student who
ran an edited cell without saving must be told to save, not shown ``TODO``
for code that works in the kernel. These tests run the released test cells
in a real in-process IPython shell over real notebooks written by nbformat,
and grade for real.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder import cells, unsaved
from autograder.registry import discover
from autograder.release.notebooks import render_source_notebooks, render_student_notebooks
from tests.conftest import SOLUTIONS

[LINEAR] = [a for a in discover() if a.name == "02_my_linear"]
KEY = f"{LINEAR.name}/{LINEAR.notebook_filename}"


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cells, "_graded", {})


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real IPython shell, as a Jupyter kernel runs one, in the notebook's folder."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # IPython swaps it
    monkeypatch.chdir(tmp_path)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    instance = InteractiveShell.instance(config=config)
    yield instance
    InteractiveShell.clear_instance()


def _notebook(text: str) -> nbformat.NotebookNode:
    return nbformat.reads(text, as_version=4)


def _run(shell: Any, source: str) -> Any:
    """Runs one cell as a kernel does (kept in the input history); returns its value."""
    outcome = shell.run_cell(source, store_history=True)
    assert outcome.success, outcome.error_in_exec or outcome.error_before_exec
    return outcome.result


def _code(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_a_correct_class_run_but_not_saved_is_reported_first(shell: Any,
                                                            tmp_path: Path) -> None:
    stub = _notebook(render_student_notebooks(solutions=SOLUTIONS, assignments=[LINEAR])[KEY])
    nbformat.write(stub, tmp_path / LINEAR.notebook_filename)  # the file on disk: the stub
    solved = _code(_notebook(render_source_notebooks(solutions=SOLUTIONS,
                                                     assignments=[LINEAR])[KEY]))
    imports, my_linear, test_cell = _code(stub)
    _run(shell, imports)
    [correct] = [source for source in solved if source.startswith("class MyLinear")]
    _run(shell, correct)  # typed into the cell and run, never saved
    _run(shell, "layer = MyLinear(3, 2)\nlayer(torch.ones(4, 3)).shape")  # a scratch cell
    grade = _run(shell, test_cell)

    assert grade.unsaved == ("`MyLinear` in the kernel differs from the saved notebook's",)
    markdown = grade._repr_markdown_()
    assert markdown.startswith("**⚠ You have unsaved changes in this notebook: save it "
                               "(Ctrl+S / Cmd+S) and run this cell again.**")
    assert "`MyLinear` in the kernel differs" in markdown
    # The saved file is still what is graded, in a fresh process: the stub's TODO.
    assert repr(grade) == "0" and {c.status for c in grade.checks} == {"not_implemented"}
    assert "**`MyLinear` as saved: 0 / 20 points**" in markdown


def test_a_saved_notebook_run_in_any_order_says_nothing_about_saving(shell: Any,
                                                                     tmp_path: Path) -> None:
    solved = _notebook(render_source_notebooks(solutions=SOLUTIONS, assignments=[LINEAR])[KEY])
    nbformat.write(solved, tmp_path / LINEAR.notebook_filename)
    imports, my_linear, test_cell = _code(solved)
    _run(shell, imports)
    _run(shell, "%%time\nx = 1")  # magics and scratch cells define nothing
    _run(shell, my_linear)
    _run(shell, "# tried it twice\n\n" + my_linear + "  # same code\n\n")
    grade = _run(shell, test_cell)

    assert grade.unsaved == () and grade.graded == ""
    assert (repr(grade), grade.max_points) == ("20", 20.0)
    markdown = grade._repr_markdown_()
    assert "unsaved" not in markdown and "save" not in markdown.lower()


def test_what_counts_as_an_unsaved_change() -> None:
    saved = ["import torch", "def f(x):\n    return x + 1\n", "class A:\n    pass",
             "grade_part('01', 'f')"]
    assert unsaved.differences(saved, []) == ()
    assert unsaved.differences(saved, saved) == ()
    # Out of order, reformatted, commented, with magics, a test cell and a syntax error.
    ran = ["class A:  # mine\n    pass", "%load_ext autoreload\n!ls", "def f( x ):\n\n"
           "    return x+1", "from autograder.cells import grade_part\ngrade_part('01', 'g')",
           "def broken(:"]
    assert unsaved.differences(saved, ran) == ()
    # The last definition is what the kernel holds: an older one run before it is fine.
    assert unsaved.differences(saved, ["def f(x):\n    return x", *saved]) == ()
    assert unsaved.differences(saved, [*saved, "def f(x):\n    return x"]) == (
        "`f` in the kernel differs from the saved notebook's",)
    assert unsaved.differences(saved, ["def helper():\n    return 2"]) == (
        "`helper` is defined in the kernel but not in the saved notebook",)
    nbgrader_test = {"cell_type": "code", "source": "def hidden(): ...", "metadata": {
        "nbgrader": {"grade": True, "solution": False}}}
    assert unsaved.saved_code_cells({"cells": [
        nbgrader_test, {"cell_type": "markdown", "source": "def m(): ..."},
        {"cell_type": "code", "source": ["def ", "f(): ..."], "metadata": {}}]}) == [
        "def f(): ..."]


def test_outside_ipython_nothing_is_compared_and_the_file_is_named(tmp_path: Path) -> None:
    assert unsaved.kernel_history() is None  # pytest is no IPython kernel
    broken = tmp_path / LINEAR.notebook_filename
    broken.write_text('{"cells": [')
    grade = cells.grade_part(LINEAR.name, "MyLinear", path=broken)
    assert grade.unsaved == () and "not valid JSON" in grade.message
