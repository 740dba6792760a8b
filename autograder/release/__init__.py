"""The release stage: the generated files, all from ``solutions/`` and the checks.

Three outputs, each committed but never edited by hand (STYLE habit 8): the
student stubs (``assignments/``), the public snapshots that ``torchgrade
check`` answers from where no solution exists (package data beside each
assignment's checks) and the table of checks (``docs/checks.md``). This stage
regenerates them, and CI runs it with ``check=True`` so that a solution or a
check changed without regenerating fails the build instead of shipping a
stale or leaking release. Writing only touches the files this stage owns, so
other generated files (READMEs, notebooks) can live beside the stubs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder.layout import solutions_dir
from autograder.registry import Assignment, discover
from autograder.release import checks_table
from autograder.release import snapshots as public_snapshots
from autograder.release.files import display, write_if_changed
from autograder.release.snapshots import RecordingError
from autograder.release.stubs import MarkerError, make_stub, render_stubs

__all__ = ["MarkerError", "RecordingError", "main", "make_stub", "render_stubs"]


def main(
    *,
    solutions: Path | None = None,
    stubs: Path | None = None,
    snapshots: bool = False,
    docs: Path | None = None,
    check: bool = False,
    assignments: Sequence[Assignment] | None = None,
) -> int:
    """Generates the release files, or checks that the committed ones are current.

    Args:
        solutions: The ``solutions/`` folder with the marked reference code
            (default: the checkout's); needed for stubs and snapshots.
        stubs: Where the stubs go, ``<name>/<module>.py`` beneath it (the
            repository's ``assignments/``).
        snapshots: Record the public snapshots beside each assignment's checks.
        docs: Where the table of checks goes (``docs/checks.md``).
        check: Write nothing; report stale or missing files instead, for CI.
        assignments: Which assignments to release; all discovered ones when
            None.

    Returns:
        0 when the files were written, or with ``check`` when all are current;
        1 with ``check`` when any is stale or missing (listed on stdout with
        the command that regenerates them).

    Raises:
        FileNotFoundError: An assignment has no reference solution.
        MarkerError: A solution's BEGIN/END SOLUTION markers are wrong.
        RecordingError: The reference solutions do not score full marks.
        LayoutError: No ``solutions/`` folder where one is needed.
    """
    chosen = discover() if assignments is None else tuple(assignments)
    if (stubs is not None or snapshots) and solutions is None:
        solutions = solutions_dir()
    codes = []
    if stubs is not None:
        assert solutions is not None
        codes.append(_stubs(Path(solutions), Path(stubs), chosen, check))
    if snapshots:
        assert solutions is not None
        codes.append(public_snapshots.main(solutions=Path(solutions), assignments=chosen,
                                           check=check))
    if docs is not None:
        codes.append(checks_table.main(path=Path(docs), assignments=chosen, check=check))
    return max(codes, default=0)


def _stubs(solutions: Path, stubs: Path, chosen: Sequence[Assignment], check: bool) -> int:
    rendered = render_stubs(solutions=solutions, assignments=chosen)
    if check:
        return _report_stale(stubs, rendered)
    for relative, text in rendered.items():
        if write_if_changed(stubs / relative, text):
            print(f"wrote {stubs / relative}")
    return 0


def _report_stale(stubs: Path, rendered: dict[str, str]) -> int:
    """Prints which stubs differ from what the solutions generate; 1 if any."""
    stale: list[str] = []
    for relative, text in rendered.items():
        path = stubs / relative
        if not path.is_file():
            stale.append(f"  {path} (missing)")
        elif path.read_bytes() != text.encode("utf-8"):
            stale.append(f"  {path} (differs from what solutions/ generates)")
    if not stale:
        print(f"{len(rendered)} stub file(s) under {stubs} are up to date")
        return 0
    print("These stub files are out of date:")
    print("\n".join(stale))
    print("Regenerate them (never edit them by hand) with:")
    print(f"  torchgrade release --stubs {display(stubs)}")
    return 1
