"""The release stage: the generated files, all from ``solutions/`` and the checks.

Four committed outputs, never edited by hand (STYLE habit 8): what students
start from (``assignments/``: per assignment its stub, notebook and README),
the public snapshots that ``torchgrade check`` answers from where no solution
exists (package data beside each assignment's checks), the table of
checks (``docs/checks.md``) and the GitHub Actions workflow that grades a
class (``docs/github-actions/grade-class.yml``). This stage regenerates
them, and CI runs it with ``check=True`` so that a solution or a check
changed without regenerating fails the build instead of shipping a stale or
leaking release. Writing ``assignments/`` only touches the files this stage
owns.

Two more outputs are not committed but handed out: the student bundle
(everything a student needs, verified to hold no solution) and the grader
bundle (solutions, checks, nbgrader sources, ``grader.json``); see
:mod:`autograder.release.bundles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder.layout import catalogue_dir, solutions_dir
from autograder.registry import Assignment, discover
from autograder.release import bundles, checks_table, publish
from autograder.release import snapshots as public_snapshots
from autograder.release import workflows as github_workflows
from autograder.release.files import display, write_if_changed
from autograder.release.leaks import LeakError
from autograder.release.publish import BundleError
from autograder.release.readmes import WORKING_COPY
from autograder.release.snapshots import RecordingError
from autograder.release.stubs import MarkerError, make_stub, render_stubs

__all__ = ["BundleError", "LeakError", "MarkerError", "RecordingError", "main", "make_stub",
           "render_stubs"]


def main(
    *,
    solutions: Path | None = None,
    stubs: Path | None = None,
    snapshots: bool = False,
    docs: Path | None = None,
    check: bool = False,
    assignments: Sequence[Assignment] | None = None,
    student: Path | None = None,
    grader: Path | None = None,
    force: bool = False,
    workflows: Path | None = None,
) -> int:
    """Generates the release files, or checks that the committed ones are current.

    Args:
        solutions: The ``solutions/`` folder with the marked reference code
            (default: the checkout's); needed for stubs and snapshots.
        stubs: Where the students' starting files go (the repository's
            ``assignments/``): ``<name>/<module>.py``, ``<name>/<module>.ipynb``
            and ``<name>/README.md`` beneath it.
        snapshots: Record the public snapshots beside each assignment's checks.
        docs: Where the table of checks goes (``docs/checks.md``).
        check: Write nothing; report stale or missing files instead, for CI.
        assignments: Which assignments to release; all discovered ones when
            None.
        student: Where the student bundle goes (a new or empty folder, or a
            previous student bundle, which is replaced whole).
        grader: Where the grader bundle goes (likewise).
        force: Replace a bundle (or write stubs into one) even where its
            files were edited since it was written; without it that is
            refused, since the edits are a person's work.
        workflows: Where the GitHub Actions workflow that grades a class goes
            (``docs/github-actions``, as ``grade-class.yml``).

    Returns:
        0 when the files were written, or with ``check`` when all are current;
        1 with ``check`` when any is stale or missing (listed on stdout with
        the command that regenerates them).

    Raises:
        FileNotFoundError: An assignment has no reference solution.
        MarkerError: A solution's BEGIN/END SOLUTION markers are wrong.
        RecordingError: The reference solutions do not score full marks.
        LayoutError: No ``solutions/`` folder where one is needed.
        LeakError: The student bundle would leak a solution; nothing written.
        BundleError: A bundle's folder holds files that are not a previous
            bundle of that kind, or files edited since it was written (short
            of ``force``); nothing written.
    """
    chosen = discover() if assignments is None else tuple(assignments)
    bundled = {"student": student, "grader": grader}
    if student is not None and grader is not None and (
            Path(student).resolve() == Path(grader).resolve()):
        raise BundleError("the student and grader bundles need two different folders")
    wanted = stubs is not None or snapshots or any(bundled.values())
    if wanted and solutions is None:
        solutions = solutions_dir()
    codes = []
    if stubs is not None:
        assert solutions is not None
        codes.append(_stubs(Path(solutions), Path(stubs), chosen, check, force=force))
    if snapshots:
        assert solutions is not None
        codes.append(public_snapshots.main(solutions=Path(solutions), assignments=chosen,
                                           check=check))
    if docs is not None:
        codes.append(checks_table.main(path=Path(docs), assignments=chosen, check=check))
    if workflows is not None:
        codes.append(github_workflows.main(example=Path(workflows) / github_workflows.EXAMPLE_NAME,
                                           check=check))
    for kind, directory in bundled.items():  # last: they copy the snapshots recorded above
        if directory is not None:
            assert solutions is not None
            sources = bundles.Sources(solutions=Path(solutions), assignments=chosen,
                                      catalogue=catalogue_dir())
            codes.append(bundles.release(kind, sources=sources, directory=Path(directory),
                                         check=check, force=force))
    return max(codes, default=0)


def _stubs(solutions: Path, stubs: Path, chosen: Sequence[Assignment], check: bool, *,
           force: bool) -> int:
    sources = bundles.Sources(solutions=solutions, assignments=tuple(chosen),
                              check=WORKING_COPY)
    rendered = bundles.run_steps(bundles.WORKING_COPY_STEPS, sources)
    if check:
        return _report_stale(stubs, rendered)
    publish.overwritable(stubs, rendered, force=force)  # only a bundle's folder is guarded
    for relative, text in rendered.items():
        if write_if_changed(stubs / relative, text):
            print(f"wrote {stubs / relative}")
    return 0


def _report_stale(stubs: Path, rendered: dict[str, str | bytes]) -> int:
    """Prints which generated files differ from what the solutions generate; 1 if any."""
    stale: list[str] = []
    for relative, content in rendered.items():
        path = stubs / relative
        data = content.encode("utf-8") if isinstance(content, str) else content
        if not path.is_file():
            stale.append(f"  {path} (missing)")
        elif path.read_bytes() != data:
            stale.append(f"  {path} (differs from what solutions/ generates)")
    if not stale:
        print(f"{len(rendered)} generated file(s) under {stubs} are up to date")
        return 0
    print("These generated files (stubs, notebooks, READMEs) are out of date:")
    print("\n".join(stale))
    print("Regenerate them (never edit them by hand) with:")
    print(f"  torchgrade release --stubs {display(stubs)}")
    return 1
