"""A real nbgrader round trip: source notebooks -> release -> submissions -> gradebook.

Nothing is mocked: ``nbgrader generate_assignment`` releases the notebooks
that ``render_source_notebooks`` wrote, a solved copy and an untouched copy
are submitted, and ``nbgrader autograde`` runs them in real Jupyter kernels,
whose test cells call :func:`autograder.cells.grade_part`. The gradebook must
then hold full points for the solved notebooks and 0 for the untouched ones,
also where student code warns (nbgrader gives 0 to a test cell that writes
to stderr). One ``autograde`` call grades both students.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

# nbgrader and ipykernel (the kernel nbgrader starts: this Python's) come with the
# `dev` extra: without them this test fails rather than skips, so CI always runs it.
import ipykernel  # noqa: F401
import nbgrader  # noqa: F401
import pytest

from autograder.registry import Assignment, discover
from autograder.release.notebooks import render_source_notebooks
from tests.conftest import SOLUTIONS, fill_notebook

pytestmark = pytest.mark.slow

COURSE = "torchgrade"
PS = "ps1"
SOLVED, UNTOUCHED = "alice", "bob"
WARNS = "02_my_linear"
CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = {course!r}
c.CourseDirectory.root = {root!r}
# The first test cell of a notebook starts its grading run (seconds); leave room on slow CI.
c.Execute.timeout = 300
"""
# Student code that warns from the kernel, the way PyTorch does, and reports the kernel.
NOISY_CELL = """\
import sys
import warnings

import torch

warnings.simplefilter("always")
warnings.warn("a student's own warning", UserWarning)
torch.tensor(torch.ones(2))  # UserWarning: to copy construct from a tensor, use clone()
print(sys.executable)
"""
# Prepended to a solution cell: warns in the kernel and again when the sandbox loads it.
NOISY_SOLUTION = "import warnings\n\nwarnings.warn('warned at import', UserWarning)\n\n\n"


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> str:
    """Runs ``python -m nbgrader ...`` in ``course``; returns its log, failing on errors."""
    completed = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                               capture_output=True, text=True, timeout=600, check=False)
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{log}"
    return log


def _environment(home: Path) -> dict[str, str]:
    """This environment, activated, with Jupyter's and IPython's user folders made empty.

    The kernel nbgrader starts is ``python3``: with no user kernelspec in the
    way, Jupyter finds this environment's ipykernel and, its command being
    ``python``, runs it with ``sys.executable``, the Python running these tests.
    """
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "IPYTHON"))}
    for name, folder in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        (home / folder).mkdir(parents=True)
        env[name] = str(home / folder)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    # As if the environment were activated: nbgrader runs `alembic` from PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _solved(assignment: Assignment, released: str, source: str) -> dict[str, Any]:
    notebook = fill_notebook(released, source)
    if assignment.name == WARNS:
        cells = notebook["cells"]
        solution = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("solution"))
        solution["source"] = NOISY_SOLUTION + solution["source"]
        header = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
        cells.insert(header + 1, {"cell_type": "code", "execution_count": None,
                                  "id": "student-noise", "metadata": {}, "outputs": [],
                                  "source": NOISY_CELL})
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Releases, submits and autogrades the five notebooks once for the module."""
    root = tmp_path_factory.mktemp("nbgrader")
    course, env = root / "course", _environment(root / "home")
    assignments = discover()
    sources = render_source_notebooks(solutions=SOLUTIONS, assignments=assignments)
    (course / "source" / PS).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(course=COURSE, root=str(course)))
    for assignment in assignments:
        path = course / "source" / PS / assignment.notebook_filename
        path.write_text(sources[f"{assignment.name}/{assignment.notebook_filename}"])
    _nbgrader(course, env, "generate_assignment", PS, "--force")
    for student in (SOLVED, UNTOUCHED):
        (course / "submitted" / student / PS).mkdir(parents=True)
    for assignment in assignments:
        released = (course / "release" / PS / assignment.notebook_filename).read_text()
        source = sources[f"{assignment.name}/{assignment.notebook_filename}"]
        solved = _solved(assignment, released, source)
        submitted = course / "submitted"
        (submitted / SOLVED / PS / assignment.notebook_filename).write_text(json.dumps(solved))
        shutil.copy(course / "release" / PS / assignment.notebook_filename,
                    submitted / UNTOUCHED / PS / assignment.notebook_filename)
    log = _nbgrader(course, env, "autograde", PS, "--force")
    return {"course": course, "assignments": assignments, "log": log, "sources": sources}


def _scores(course: Path, student: str, assignments: tuple[Assignment, ...]
            ) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE) as gradebook:
        return {a.name: gradebook.find_submission_notebook(a.module, PS, student).score
                for a in assignments}


def test_release_has_no_solution_and_keeps_the_test_cells(course: dict[str, Any]) -> None:
    for assignment in course["assignments"]:
        released = (course["course"] / "release" / PS / assignment.notebook_filename).read_text()
        assert "BEGIN SOLUTION" not in released and "END SOLUTION" not in released
        cells = json.loads(released)["cells"]
        tests = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
        assert tests and all("grade_part(" in "".join(c["source"]) for c in tests)
        assert sum(c["metadata"]["nbgrader"]["points"] for c in tests) == assignment.points


def test_solved_notebooks_get_full_points(course: dict[str, Any]) -> None:
    scores = _scores(course["course"], SOLVED, course["assignments"])
    assert scores == {a.name: a.points for a in course["assignments"]}, course["log"]


def test_untouched_release_scores_zero(course: dict[str, Any]) -> None:
    scores = _scores(course["course"], UNTOUCHED, course["assignments"])
    assert scores == {a.name: 0.0 for a in course["assignments"]}, course["log"]


def test_test_cells_output_only_their_points(course: dict[str, Any]) -> None:
    """Each executed test cell: one execute_result, the points as text, no stderr."""
    for assignment in course["assignments"]:
        path = (course["course"] / "autograded" / SOLVED / PS / assignment.notebook_filename)
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if not meta.get("grade"):
                continue
            kinds = [(o["output_type"], o.get("name")) for o in cell["outputs"]]
            assert kinds == [("execute_result", None)], (meta["grade_id"], cell["outputs"])
            [result] = cell["outputs"]
            assert float("".join(result["data"]["text/plain"])) == meta["points"]
            assert "PASS" in "".join(result["data"]["text/markdown"])
            # The kernel ran exactly the saved cells: no word about unsaved changes.
            assert "unsaved" not in "".join(result["data"]["text/markdown"])


def test_student_warnings_reached_the_kernel_not_the_test_cells(course: dict[str, Any]) -> None:
    """The noisy cells did warn on stderr (so the guard was exercised) in this Python."""
    [noisy] = [a for a in course["assignments"] if a.name == WARNS]
    path = course["course"] / "autograded" / SOLVED / PS / noisy.notebook_filename
    cells = {cell.get("id"): cell for cell in json.loads(path.read_text())["cells"]}
    noise = cells["student-noise"]["outputs"]
    stderr = "".join("".join(o["text"]) for o in noise if o.get("name") == "stderr")
    stdout = "".join("".join(o["text"]) for o in noise if o.get("name") == "stdout")
    assert "a student's own warning" in stderr and "copy construct" in stderr
    assert stdout.strip() == sys.executable  # the kernel ran this environment's Python


def test_torchgrade_grades_the_notebooks_nbgrader_collected(
        course: dict[str, Any], tmp_path: Path) -> None:
    """The solved notebooks as nbgrader holds them, graded by torchgrade itself: 100/100.

    nbgrader's submitted folder is laid out ``<student>/<assignment>/<module>.ipynb``;
    torchgrade finds files laid out flat in a submission folder too.
    """
    from autograder.cli import main

    out = tmp_path / "alice.json"
    folder = course["course"] / "submitted" / SOLVED / PS
    assert main(["grade", str(folder), "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert (document["score"], document["max_score"]) == (100.0, 100.0), document
