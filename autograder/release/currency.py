"""Whether generated files are what the sources generate now, one kind of file at a time.

``torchgrade validate`` reports on several kinds of generated file at once:
the stubs, notebooks and READMEs of ``assignments/``, the public snapshots,
the table of checks, and, run inside one, the grader bundle itself. Each is
compared on its own (:class:`Generated`), so that the report's heading names
exactly the ones that are out of date and the details under it say what to
do about those; the ones that are current are named as such, never listed
as stale.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from autograder.judge.snapshots import RECORD_COMMAND, Answers
from autograder.registry import Assignment
from autograder.release.files import display


@dataclass(frozen=True)
class Generated:
    """One kind of generated file, compared with what the sources generate.

    Attributes:
        what: How the report names it (``assignments``, ``the public snapshots``).
        problems: What is out of date and how to regenerate it; empty when current.
    """

    what: str
    problems: tuple[str, ...] = ()


def stub_files(*, solutions: Path, folder: Path, assignments: Sequence[Assignment]
               ) -> Generated:
    """The committed stubs, notebooks and READMEs of ``folder`` (``assignments/``)."""
    from autograder import release

    return _compared(display(folder), lambda: release.main(
        solutions=solutions, stubs=folder, check=True, assignments=assignments))


def checks_table(*, path: Path, assignments: Sequence[Assignment]) -> Generated:
    """The committed table of checks (``docs/checks.md``)."""
    from autograder.release import checks_table as table

    return _compared(display(path), lambda: table.main(
        path=path, assignments=assignments, check=True))


def public_snapshots(answers: Answers, *, assignments: Sequence[Assignment],
                     root: Path | None = None) -> Generated:
    """The recorded public snapshots against the reference's public ``answers``.

    Args:
        answers: What the reference answered on the public seed just now.
        assignments: Whose snapshots to compare.
        root: A bundle's ``snapshots/`` folder; None for those shipped with
            torchgrade (beside each assignment's checks).
    """
    from autograder.release import snapshots as recorded

    what = "the public snapshots" + (f" in {display(root)}" if root is not None else "")
    stale = recorded.stale(answers, assignments=assignments, root=root)
    if not stale:
        return Generated(what)
    again = (RECORD_COMMAND if root is None else
             f"{RECORD_COMMAND}, then release the bundle again")
    return Generated(what, ("These public snapshots are out of date:", *stale,
                            f"Re-record them (never edit them by hand) with: {again}"))


def grader_bundle(*, folder: Path, solutions: Path, assignments: Sequence[Assignment],
                  catalogue: Path | None) -> Generated:
    """A grader bundle against what its solutions and the installed checks generate.

    A grading machine must run the checks the bundle was released with; a
    bundle whose ``checks/`` copies or ``grader.json`` differ from what this
    torchgrade generates was released with another version of the checks.
    """
    from autograder.release import bundles

    sources = bundles.Sources(solutions=solutions, assignments=tuple(assignments),
                              catalogue=catalogue)
    return _compared(f"the grader bundle at {Path(folder).resolve()}", lambda: bundles.release(
        "grader", sources=sources, directory=folder, check=True))


def compare(answers: Answers, *, solutions: Path, assignments: Sequence[Assignment],
            stubs: Path | None = None, docs: Path | None = None,
            snapshots: Path | None = None, bundle: Path | None = None) -> list[Generated]:
    """Each kind of generated file there is, compared with the sources on its own.

    Args:
        answers: The reference's answers on the public seed, for the snapshots.
        solutions: The marked reference solutions.
        assignments: The assignments to compare.
        stubs: The committed ``assignments/`` folder, if any.
        docs: The committed table of checks, if any.
        snapshots: A bundle's ``snapshots/``; None for those shipped with torchgrade.
        bundle: A grader bundle to compare whole, if any, with its own ``catalogue/``.

    Raises:
        MarkerError: a solution's markers are wrong, so nothing can be generated.
    """
    parts = []
    if stubs is not None:
        parts.append(stub_files(solutions=solutions, folder=stubs, assignments=assignments))
    parts.append(public_snapshots(answers, assignments=assignments, root=snapshots))
    if docs is not None:
        parts.append(checks_table(path=docs, assignments=assignments))
    if bundle is not None:
        own = Path(bundle) / "catalogue"
        parts.append(grader_bundle(folder=bundle, solutions=solutions, assignments=assignments,
                                   catalogue=own if own.is_dir() else None))
    return parts


def summary(parts: Sequence[Generated]) -> tuple[bool, str, tuple[str, ...]]:
    """The report of several comparisons: whether all are current, a heading, details.

    The heading says which kinds are out of date and which are current; the
    details hold only the problems of the stale ones.
    """
    stale = [part.what for part in parts if part.problems]
    current = [part.what for part in parts if not part.problems]
    if not stale:
        return True, f"{_listed(current)} match solutions/ and the checks", ()
    heading = f"out of date: {', '.join(stale)}"
    if current:
        heading += f" (up to date: {', '.join(current)})"
    return False, heading, tuple(line for part in parts for line in part.problems)


def _compared(what: str, check: Callable[[], int]) -> Generated:
    """Runs a release ``check=True`` comparison quietly; keeps what it said when stale."""
    log = io.StringIO()
    with redirect_stdout(log):
        code = check()
    if code == 0:
        return Generated(what)
    lines = tuple(line for line in log.getvalue().splitlines() if line.strip())
    return Generated(what, lines or (f"{what} differs from what the sources generate",))


def _listed(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
