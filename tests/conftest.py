"""Shared helpers for the kit's own tests: real folders, real sandboxes."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from autograder.intake.submission import open_submission
from autograder.judge.declare import MARKER_HELP
from autograder.judge.engine import grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions
from autograder.registry import Assignment, discover
from autograder.results import SubmissionResult
from autograder.sandbox.client import Limits

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "assignments"

Edit = Callable[[str], str] | str


def pytest_configure(config: pytest.Config) -> None:
    # Tests that import an assignment's checks.py (docs/checks.md) need the marker known.
    config.addinivalue_line("markers", MARKER_HELP)


@pytest.fixture(scope="session")
def assignments() -> tuple[Assignment, ...]:
    return discover()


def make_submission(folder: Path, edits: Mapping[str, Edit] | None = None,
                    *, drop: tuple[str, ...] = ()) -> Path:
    """A copy of the reference solutions in ``folder`` with some files changed.

    Args:
        folder: Where to create the submission (must not exist yet).
        edits: Assignment name -> new file text, or a function of the
            reference text that returns the new text.
        drop: Assignments whose file is left out.
    """
    shutil.copytree(SOLUTIONS, folder)
    by_name = {a.name: a for a in discover()}
    for name, edit in (edits or {}).items():
        path = folder / name / by_name[name].filename
        path.write_text(edit if isinstance(edit, str) else edit(path.read_text()))
    for name in drop:
        (folder / name / by_name[name].filename).unlink()
    return folder


def prepend(code: str) -> Callable[[str], str]:
    """An edit that puts ``code`` right after the module's imports."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        last_import = max(i for i, line in enumerate(lines)
                          if line.startswith(("import ", "from ")))
        return "".join(lines[: last_import + 1]) + code + "\n" + "".join(lines[last_import + 1:])

    return edit


def replace(old: str, new: str) -> Callable[[str], str]:
    """An edit that replaces the one occurrence of ``old`` (fails loudly otherwise)."""

    def edit(text: str) -> str:
        assert text.count(old) == 1, f"expected exactly one {old!r} in the reference"
        return text.replace(old, new)

    return edit


def grade_folders(folders: Mapping[str, Path], work: Path, *, seed: int, limits: Limits,
                  device: str = "cpu") -> tuple[dict[str, SubmissionResult], float]:
    """Grades the submission folders as one batch against the reference solutions.

    Returns:
        The results by label, and the seconds the batch took.
    """
    assignments = discover()
    work.mkdir(exist_ok=True)
    submissions = [open_submission(path, assignments=assignments, workdir=work)
                   for path in folders.values()]
    start = time.monotonic()
    results = grade(submissions, assignments=assignments, options=GradingOptions(
        reference=Solutions(SOLUTIONS), seed=seed, limits=limits, device=device)).results
    return dict(zip(folders, results, strict=True)), time.monotonic() - start


def fill_notebook(notebook: str, source: str) -> dict[str, Any]:
    """A notebook's JSON with each solution cell holding the reference's code.

    What a student who solved everything hands in: ``notebook`` (a student
    notebook, or nbgrader's release of ``source``) with every solution cell's
    text replaced by the solution cell of the same nbgrader ``grade_id`` in
    ``source`` (from ``render_source_notebooks``), its marker lines dropped.
    """
    reference = {cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
                 for cell in json.loads(source)["cells"]
                 if cell["metadata"].get("nbgrader", {}).get("solution")}
    filled = json.loads(notebook)
    for cell in filled["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            code = reference.pop(meta["grade_id"])
            cell["source"] = "".join(line for line in code.splitlines(keepends=True)
                                     if line.strip() not in ("### BEGIN SOLUTION",
                                                             "### END SOLUTION"))
    assert not reference, f"solution cells missing from the notebook: {sorted(reference)}"
    return filled


def make_zip(path: Path, entries: dict[str, bytes]) -> Path:
    """A zip at ``path`` holding ``entries`` (archive name -> bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def running_zygotes() -> set[int]:
    """Pids of running zygotes and their wrappers (``... -m autograder.sandbox.zygote``)."""
    return processes_with(b"autograder.sandbox.zygote")


def processes_with(word: bytes) -> set[int]:
    """Pids of this machine's processes with ``word`` as one of their arguments."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and word in (proc / "cmdline").read_bytes().split(b"\0"):
                found.add(int(proc.name))
        except OSError:
            continue
    return found


# The catalogue graded once per session, for the verdict and the wording tests alike.
from tests.catalogue.grading import catalogue_batch  # noqa: E402, F401
