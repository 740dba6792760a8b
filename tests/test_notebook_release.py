"""The release's notebooks: valid, deterministic, nbgrader-ready, graded like the .py.

The student notebook must be the stub cut into cells (no solution, no
marker), nbgrader's source notebook the reference cut the same way, and every
test cell worth exactly its part's checks. Grading either as a submission
must give what the ``.py`` gives: one batch grades the source notebooks, the
student notebooks filled with the reference (plus shell escapes that must
never run), the reference ``.py`` files and the untouched student notebooks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.registry import Assignment
from autograder.release import checks_table
from autograder.release.notebooks import (
    NotebookReleaseError,
    render_source_notebooks,
    render_student_notebooks,
)
from autograder.release.stubs import make_stub
from autograder.sandbox.client import Limits
from tests.conftest import SOLUTIONS, fill_notebook, grade_folders

LIMITS = Limits(call_seconds=10.0, load_seconds=10.0, after_timeout_seconds=0.5)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
SOLUTION_META = {"grade": False, "locked": False, "schema_version": 3, "solution": True,
                 "task": False}
TEST_META = {"grade": True, "locked": True, "schema_version": 3, "solution": False,
             "task": False}


@pytest.fixture(scope="module")
def student(assignments: tuple[Assignment, ...]) -> dict[str, str]:
    return render_student_notebooks(solutions=SOLUTIONS, assignments=assignments)


@pytest.fixture(scope="module")
def source(assignments: tuple[Assignment, ...]) -> dict[str, str]:
    return render_source_notebooks(solutions=SOLUTIONS, assignments=assignments)


def _key(assignment: Assignment) -> str:
    return f"{assignment.name}/{assignment.notebook_filename}"


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell["metadata"].get("nbgrader", {})


def _code(text: str, *, tests: bool = False) -> list[str]:
    """The non-blank lines of a notebook's code cells (test cells only if asked)."""
    cells = [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"
             and bool(_meta(c).get("grade")) == tests]
    return [line for c in cells for line in "".join(c["source"]).splitlines() if line.strip()]


def test_keys_validate_and_renders_are_byte_identical(
        assignments: tuple[Assignment, ...], student: dict[str, str], source: dict[str, str]
) -> None:
    assert list(student) == list(source) == [_key(a) for a in assignments]
    for text in (*student.values(), *source.values()):
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
        assert text.endswith("}\n")
    assert render_student_notebooks(solutions=SOLUTIONS, assignments=assignments) == student
    assert render_source_notebooks(solutions=SOLUTIONS, assignments=assignments) == source


def test_layout_and_nbgrader_metadata(
        assignments: tuple[Assignment, ...], student: dict[str, str], source: dict[str, str]
) -> None:
    for assignment in assignments:
        points = {}
        for row in checks_table.collect(assignment):
            points[row.spec.part] = points.get(row.spec.part, 0.0) + row.spec.points
        for text in (student[_key(assignment)], source[_key(assignment)]):
            notebook = json.loads(text)
            assert notebook["metadata"]["kernelspec"]["name"] == "python3"
            cells = notebook["cells"]
            intro, header = cells[0], cells[1]
            assert intro["cell_type"] == "markdown" and assignment.title in "".join(
                intro["source"])
            assert all(goal in "".join(intro["source"]) for goal in assignment.goals)
            assert "save" in "".join(intro["source"]).lower()
            assert _meta(header) == {**SOLUTION_META, "solution": False, "locked": True,
                                     "grade_id": "header"}
            solutions = [c for c in cells if _meta(c).get("solution")]
            tests = {_meta(c)["grade_id"]: c for c in cells if _meta(c).get("grade")}
            for cell in solutions:
                assert _meta(cell) == {**SOLUTION_META, "grade_id": _meta(cell)["grade_id"]}
            expected = {f"test_{part}": value for part, value in points.items()}
            assert {k: _meta(c)["points"] for k, c in tests.items()} == expected
            for grade_id, cell in tests.items():
                assert _meta(cell) == {**TEST_META, "grade_id": grade_id,
                                       "points": expected[grade_id]}
                part = grade_id.removeprefix("test_")
                assert (f"grade_part({assignment.name!r}, {part!r})"
                        in "".join(cell["source"]))
                position = cells.index(cell)
                assert _meta(cells[position - 1])["grade_id"] == part  # right after its part
            assert sum(_meta(c)["points"] for c in tests.values()) == assignment.points
            ids = [c["id"] for c in cells]
            assert len(set(ids)) == len(ids)


def test_student_version_locks_cells_as_nbgrader_would(student: dict[str, str]) -> None:
    for text in student.values():
        for cell in json.loads(text)["cells"]:
            meta = _meta(cell)
            if meta.get("solution"):
                assert cell["metadata"]["deletable"] is False and "editable" not in cell[
                    "metadata"]
            elif meta.get("locked"):
                assert cell["metadata"]["deletable"] is cell["metadata"]["editable"] is False


def test_cells_are_the_stub_and_the_reference(
        assignments: tuple[Assignment, ...], student: dict[str, str], source: dict[str, str]
) -> None:
    for assignment in assignments:
        path = SOLUTIONS / assignment.name / assignment.filename
        reference = path.read_text()
        stub = make_stub(reference, filename=str(path))
        assert _code(student[_key(assignment)]) == [x for x in stub.splitlines() if x.strip()]
        assert _code(source[_key(assignment)]) == [
            x for x in reference.splitlines() if x.strip()]


def test_student_notebooks_leak_no_solution(
        assignments: tuple[Assignment, ...], student: dict[str, str]
) -> None:
    for assignment in assignments:
        text = student[_key(assignment)]
        assert not any(marker in text for marker in MARKERS)
        reference = (SOLUTIONS / assignment.name / assignment.filename).read_text()
        stub = make_stub(reference, filename=assignment.filename)
        code = "\n".join(_code(text))
        inside, leaked = False, []
        for line in reference.splitlines():
            if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
                inside = line.strip() == "### BEGIN SOLUTION"
            elif inside and line.strip() and line not in stub and line in code:
                leaked.append(line)
        assert not leaked, f"{assignment.name}: solution lines in the student notebook"


def test_a_part_no_definition_has_is_an_error_at_release(
        assignments: tuple[Assignment, ...], tmp_path: Path
) -> None:
    [linear] = [a for a in assignments if a.name == "02_my_linear"]
    folder = tmp_path / linear.name
    folder.mkdir()
    text = (SOLUTIONS / linear.name / linear.filename).read_text()
    (folder / linear.filename).write_text(text.replace("class MyLinear(", "class MyLayer("))
    for render in (render_student_notebooks, render_source_notebooks):
        with pytest.raises(NotebookReleaseError, match="part='MyLinear'.*MyLayer"):
            render(solutions=tmp_path, assignments=[linear])


FAKE_SOLUTION = '''"""A module with every kind of cell."""

import math


def helper(x):
    """Doubles ``x``; no check is about it."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


SCALE = math.pi


# Decorated, with a comment above it: both go into its cell.
@staticmethod
def scaled(x):
    """Scales ``x`` by :data:`SCALE`."""
    ### BEGIN SOLUTION
    return SCALE * x
    ### END SOLUTION
'''
FAKE_CHECKS = '''from autograder.judge.declare import check


@check(points=3, part="scaled")
def test_scaled():
    """scaled scales."""


@check(points=2)
def test_whole():
    """The whole module."""
'''


def test_module_code_between_parts_and_whole_module_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Module code after a part keeps its place; checks with no part get the last cell."""
    package = tmp_path / "torchgrade_fake_assignment"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "checks.py").write_text(FAKE_CHECKS)
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = Assignment(name="07_fake", module="fake", title="Fake", package=package.name,
                      points=5)
    (tmp_path / "solutions" / fake.name).mkdir(parents=True)
    (tmp_path / "solutions" / fake.name / fake.filename).write_text(FAKE_SOLUTION)

    [text] = render_student_notebooks(solutions=tmp_path / "solutions",
                                      assignments=[fake]).values()
    cells = json.loads(text)["cells"]
    layout = [(c["cell_type"], _meta(c).get("grade_id"), _meta(c).get("points"))
              for c in cells]
    assert layout == [
        ("markdown", None, None), ("code", "header", None),
        ("markdown", None, None), ("code", "helper", None),  # no check: no test cell
        ("code", "module_code_2", None),
        ("markdown", None, None), ("code", "scaled", None), ("code", "test_scaled", 3.0),
        ("markdown", None, None), ("code", "test_module_checks", 2.0),
    ]
    sources = ["".join(c["source"]) for c in cells]
    assert sources[4] == "SCALE = math.pi"
    assert sources[6].startswith("# Decorated, with a comment above it: both go into its cell.\n"
                                 "@staticmethod\ndef scaled(x):")
    assert "Scales `x` by `SCALE`." in sources[5] and "3 points" in sources[5]
    assert "grade_part('07_fake', None)" in sources[9]
    assert "return 2 * x" not in text and "raise NotImplementedError" in sources[3]


def _write(root: Path, notebooks: dict[str, str | dict[str, Any]]) -> Path:
    for key, notebook in notebooks.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook if isinstance(notebook, str) else json.dumps(notebook))
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, student: dict[str, str],
           source: dict[str, str]) -> dict[str, Any]:
    """One batch: reference notebooks (two ways), reference .py, untouched notebooks."""
    root = tmp_path_factory.mktemp("notebook_release")
    made = [root / "made_by_shell_escape", root / "made_by_cell_magic"]
    filled = {}
    for key, text in student.items():
        notebook = fill_notebook(text, source[key])
        notebook["cells"] += [
            nbformat.v4.new_code_cell(f"!touch {made[0]}", id="shell"),
            nbformat.v4.new_code_cell(f"%%bash\ntouch {made[1]}", id="magic")]
        filled[key] = notebook
    folders = {
        "source_notebooks": _write(root / "source_notebooks", dict(source)),
        "filled_notebooks": _write(root / "filled_notebooks", filled),
        "reference_py": shutil.copytree(SOLUTIONS, root / "reference_py"),
        "student_notebooks": _write(root / "student_notebooks", dict(student)),
    }
    results, _ = grade_folders(folders, root / "work", seed=20240611, limits=LIMITS)
    return {"results": results, "made": made}


@pytest.mark.parametrize("label", ["source_notebooks", "filled_notebooks", "reference_py"])
def test_the_reference_scores_full_marks_as_notebook_and_as_py(
        graded: dict[str, Any], label: str) -> None:
    result = graded["results"][label]
    failed = [(c.id, c.feedback) for a in result.assignments for c in a.checks
              if c.status != "passed"]
    assert (result.score, result.max_score, failed) == (100.0, 100.0, [])
    assert all(a.status == "graded" for a in result.assignments)


def test_shell_escapes_and_cell_magics_never_run(graded: dict[str, Any]) -> None:
    assert graded["results"]["filled_notebooks"].score == 100.0
    assert not any(path.exists() for path in graded["made"])


def test_untouched_student_notebooks_score_zero(graded: dict[str, Any]) -> None:
    result = graded["results"]["student_notebooks"]
    assert result.score == 0.0
    assert {c.status for a in result.assignments for c in a.checks} == {"not_implemented"}
