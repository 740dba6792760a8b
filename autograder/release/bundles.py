"""The student and grader bundles: declared lists of small steps, verified, then written.

Like nbgrader's release preprocessors, a bundle is the union of what a fixed
sequence of small steps produce. Each step is a function of the
:class:`Sources` that returns ``{relative POSIX path: text or bytes}`` and
touches no file; the lists below are the whole recipe, in order, so nothing
about a bundle's content lives in comments or in the order of calls
elsewhere. The bundle is built in memory, the student bundle is verified for
leaks (:mod:`autograder.release.leaks`) and only then is anything written
(:mod:`autograder.release.publish`), whole or not at all.

The same steps make the repository's ``assignments/`` (:data:`WORKING_COPY_STEPS`),
so a student who clones the repository and one who gets the bundle start
from identical stubs, notebooks and READMEs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder import __version__
from autograder.judge.snapshots import JSON_NAME, RECORD_COMMAND, TENSORS_NAME, snapshot_dir
from autograder.layout import ROOT, solution_file
from autograder.registry import Assignment
from autograder.release import checks_table, leaks, publish, readmes, wheel, workflows
from autograder.release.files import display
from autograder.release.notebooks import render_source_notebooks, render_student_notebooks
from autograder.release.stubs import render_stubs

GRADER_SCHEMA = "torchgrade.grader/1"
GRADER_CONFIG = "grader.json"
SNAPSHOTS_FOLDER = "snapshots"


@dataclass(frozen=True)
class Sources:
    """What every step reads: the marked solutions, the assignments, and where files land.

    Attributes:
        solutions: The ``solutions/`` folder.
        assignments: The assignments to release, in order.
        check: How a student runs ``torchgrade check`` where the files land
            (READMEs say it).
        catalogue: The mistake catalogue (``mistakes/``, ``alternatives/``) the
            grader bundle carries, or None.
        kit: The torchgrade checkout whose wheel the student bundle carries.
    """

    solutions: Path
    assignments: tuple[Assignment, ...]
    check: readmes.CheckCommand = readmes.BUNDLE
    catalogue: Path | None = None
    kit: Path = ROOT


Files = dict[str, str | bytes]
Step = Callable[[Sources], Files]


# --- steps shared by the working copy and the student bundle -------------------------

def stubs(sources: Sources) -> Files:
    """``<name>/<module>.py``: each solution with its blocks replaced by a ``raise``."""
    return dict(render_stubs(solutions=sources.solutions, assignments=sources.assignments))


def notebooks(sources: Sources) -> Files:
    """``<name>/<module>.ipynb``: the same stub, as a notebook with test cells."""
    return dict(render_student_notebooks(solutions=sources.solutions,
                                         assignments=sources.assignments))


def assignment_readmes(sources: Sources) -> Files:
    """``<name>/README.md``: goals, what to implement, the checks, hints, how to check."""
    return {f"{a.name}/README.md": readmes.assignment_readme(a, solutions=sources.solutions,
                                                             check=sources.check)
            for a in sources.assignments}


# --- student bundle only ---------------------------------------------------------------

def snapshots(sources: Sources) -> Files:
    """``snapshots/<name>/snapshots.{json,safetensors}``, which ``check`` prefers in a bundle.

    Copied from the package data that ``torchgrade release --snapshots``
    recorded, in the layout :class:`~autograder.judge.reference.Snapshots`
    reads (``<root>/<name>/``), so the bundle pins the answers it was
    released with whatever torchgrade a student installs.

    Raises:
        FileNotFoundError: An assignment has no recorded snapshots.
    """
    files: Files = {}
    for assignment in sources.assignments:
        folder = snapshot_dir(assignment)
        for name in (JSON_NAME, TENSORS_NAME):
            path = folder / name
            if not path.is_file():
                raise FileNotFoundError(f"no public snapshots for {assignment.name} at {path}; "
                                        f"record them with `{RECORD_COMMAND}`")
            files[f"{SNAPSHOTS_FOLDER}/{assignment.name}/{name}"] = path.read_bytes()
    return files


def top_readme(sources: Sources) -> Files:
    """``README.md``: the course, its assignments and points, set-up, checking, handing in."""
    return {"README.md": readmes.course_readme(sources.assignments, check=sources.check)}


def kit_wheel(sources: Sources) -> Files:
    """``wheels/torchgrade-<version>-py3-none-any.whl``: torchgrade itself, to install from.

    Built from the checkout ``sources.kit`` (see :mod:`autograder.release.wheel`),
    so a student needs no published release, and the bundle pins the
    torchgrade its snapshots were recorded with.
    """
    return {wheel.bundle_path(): wheel.build(source=sources.kit)}


def ci_workflow(sources: Sources) -> Files:
    """``.github/workflows/torchgrade.yml``: advisory ``torchgrade check`` on every push."""
    return {workflows.STUDENT_PATH: workflows.student_workflow()}


# --- grader bundle only ----------------------------------------------------------------

def solutions(sources: Sources) -> Files:
    """``solutions/<name>/<module>.py``: the references as written, markers included."""
    files: Files = {}
    for assignment in sources.assignments:
        path = solution_file(sources.solutions, assignment)
        files[f"solutions/{assignment.name}/{assignment.filename}"] = path.read_bytes()
    return files


def checks(sources: Sources) -> Files:
    """``checks/<name>/{checks,scenarios}.py``: copies of the checks, to read and audit."""
    files: Files = {}
    for assignment in sources.assignments:
        folder = assignment.checks_path.parent
        for name in ("checks.py", "scenarios.py"):
            files[f"checks/{assignment.name}/{name}"] = (folder / name).read_bytes()
    return files


def catalogue(sources: Sources) -> Files:
    """``catalogue/{mistakes,alternatives}/*.py``: the instructor's catalogue, where there is one.

    Its variants quote the solutions, so it ships with them, never to
    students; ``torchgrade validate --catalogue catalogue`` grades it.
    """
    if sources.catalogue is None:
        return {}
    files: Files = {}
    for kind in ("mistakes", "alternatives"):
        for path in sorted((sources.catalogue / kind).glob("[!_]*.py")):
            files[f"catalogue/{kind}/{path.name}"] = path.read_bytes()
    return files


def source_notebooks(sources: Sources) -> Files:
    """``nbgrader/source/<name>/<module>.ipynb``: nbgrader's source notebooks."""
    rendered = render_source_notebooks(solutions=sources.solutions,
                                       assignments=sources.assignments)
    return {f"nbgrader/source/{path}": text for path, text in rendered.items()}


def grader_readme(sources: Sources) -> Files:
    """``README.md``: for instructors: grading one submission and a class."""
    return {"README.md": readmes.grader_readme(sources.assignments,
                                               catalogue=sources.catalogue is not None)}


WORKING_COPY_STEPS: tuple[Step, ...] = (stubs, notebooks, assignment_readmes)
"""The repository's ``assignments/``: what a student starts from."""

STUDENT_STEPS: tuple[Step, ...] = (stubs, notebooks, assignment_readmes, snapshots, top_readme,
                                   kit_wheel, ci_workflow)
"""The student bundle; the leak verification covers whatever the steps produce,
and the files inside the wheel too."""

GRADER_STEPS: tuple[Step, ...] = (solutions, checks, catalogue, source_notebooks,
                                  grader_readme)
"""The grader bundle; :func:`build_grader` adds ``grader.json`` over these files."""


def run_steps(steps: Sequence[Step], sources: Sources) -> Files:
    """The union of the steps' files, sorted by path.

    Raises:
        ValueError: two steps produce the same path; one would silently win.
    """
    files: Files = {}
    for step in steps:
        for path, content in step(sources).items():
            if path in files:
                raise ValueError(f"release steps clash: {step.__name__} also produces {path}")
            files[path] = content
    return dict(sorted(files.items()))


def build_student(sources: Sources) -> Files:
    """The student bundle in memory, verified to hold no solution and no grading seed.

    Raises:
        LeakError: some file would leak; nothing has been written.
    """
    files = run_steps(STUDENT_STEPS, sources)
    leaks.verify_student(files, secrets=leaks.solution_lines(
        solutions=sources.solutions, assignments=sources.assignments))
    for path, content in files.items():
        if path.startswith(f"{wheel.FOLDER}/") and path.endswith(".whl"):
            wheel.verify(content if isinstance(content, bytes) else content.encode(),
                         solutions=sources.solutions, assignments=sources.assignments,
                         where=path)
    return files


def build_grader(sources: Sources) -> Files:
    """The grader bundle in memory, with its ``grader.json``."""
    files = run_steps(GRADER_STEPS, sources)
    files[GRADER_CONFIG] = grader_config(sources.assignments, files)
    return dict(sorted(files.items()))


def grader_config(assignments: Sequence[Assignment], files: Files) -> str:
    """``grader.json``: what a grading machine checks before it trusts its install.

    It names the torchgrade version, every assignment with its points and
    its checks (id, points, visibility, part), and the SHA-256 of every
    other file of the bundle, so a machine can confirm that its installed
    ``checks.py`` are the released ones byte for byte.
    """
    document = {
        "schema": GRADER_SCHEMA,
        "torchgrade_version": __version__,
        "assignments": [_assignment_entry(a) for a in assignments],
        "files": {path: publish.digest(content.encode("utf-8") if isinstance(content, str)
                                       else content)
                  for path, content in sorted(files.items())},
    }
    return json.dumps(document, sort_keys=True, indent=1) + "\n"


def _assignment_entry(assignment: Assignment) -> dict[str, object]:
    return {
        "name": assignment.name,
        "title": assignment.title,
        "module": assignment.module,
        "points": assignment.points,
        "solution": f"solutions/{assignment.name}/{assignment.filename}",
        "checks": [{"id": row.spec.id, "points": row.spec.points,
                    "visibility": row.spec.visibility, "part": row.spec.part}
                   for row in checks_table.collect(assignment)],
    }


def release(kind: str, *, sources: Sources, directory: Path, check: bool = False,
            force: bool = False) -> int:
    """Builds the ``kind`` bundle, verifies it, and writes it to ``directory``.

    Args:
        kind: ``student`` or ``grader``.
        sources: What to build it from.
        directory: Where it goes: new, empty, or a previous bundle of ``kind``.
        check: Write nothing; report whether ``directory`` is current instead.
        force: Replace a previous bundle even where its files were edited.

    Returns:
        0 when written (or current); 1 with ``check`` when stale.

    Raises:
        LeakError: the student bundle would leak a solution.
        BundleError: ``directory`` holds something that is not ours to replace.
    """
    if kind not in publish.KINDS:
        raise ValueError(f"bundle kind must be one of {publish.KINDS}, not {kind!r}")
    if not check:  # refuse before the work of building, not after
        publish.replaceable(Path(os.path.abspath(directory)), kind, force=force)
    files = build_student(sources) if kind == "student" else build_grader(sources)
    if check:
        problems = publish.stale(directory, kind, files)
        if not problems:
            print(f"the {kind} bundle at {directory} is up to date")
            return 0
        print(f"The {kind} bundle at {directory} is out of date:\n" + "\n".join(problems))
        print(f"Regenerate it (never edit it by hand) with:\n  torchgrade release --{kind} "
              f"{display(directory)}")
        return 1
    publish.write(directory, kind, files, force=force)
    print(f"wrote the {kind} bundle ({len(files) + 1} files) to {directory}")
    return 0
