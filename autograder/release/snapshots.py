"""Public snapshots: the reference's answers for the public seed, recorded as package data.

``torchgrade check`` runs where no reference solution exists (the student
release), so the release grades the reference once with
:data:`~autograder.judge.snapshots.PUBLIC_SEED` and records every answer the
checks asked it for. Recording is grading: the same engine, the same checks,
so the recorded keys are exactly those ``check`` will look up. The reference
must score full marks while it is recorded, or nothing is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder.intake.submission import open_submission
from autograder.judge.compare import CheckFailure, assert_close
from autograder.judge.engine import grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions, Observations
from autograder.judge.snapshots import (
    PUBLIC_SEED,
    RECORD_COMMAND,
    Answers,
    Recording,
    SnapshotError,
    SnapshotStore,
    input_difference,
    snapshot_dir,
    snapshot_files,
)
from autograder.registry import Assignment
from autograder.release.files import write_if_changed


class RecordingError(Exception):
    """The reference solutions do not earn full marks, so their answers are not recorded."""


def record(*, solutions: Path, assignments: Sequence[Assignment]) -> Answers:
    """Grades the reference solutions with the public seed and returns their answers.

    Raises:
        RecordingError: some assignment's reference lost points; the message
            lists the checks and their feedback.
    """
    observed = Observations()
    options = GradingOptions(reference=Solutions(Path(solutions)), seed=PUBLIC_SEED)
    with tempfile.TemporaryDirectory(prefix="torchgrade-snapshots-") as work:
        opened = open_submission(Path(solutions), assignments=assignments, workdir=Path(work))
        [result] = grade([opened], assignments=assignments, options=options,
                         observe=observed).results
    lost = [f"  {check.id}: {check.status}: {check.feedback}"
            for assignment in result.assignments for check in assignment.checks
            if check.status != "passed"]
    missing = sorted({a.name for a in assignments} - {a.name for a in result.assignments})
    if lost or missing:
        raise RecordingError("the reference solutions must score full marks before their "
                             "answers are recorded:\n" + "\n".join(
                                 lost + [f"  {name}: no reference file" for name in missing]))
    return {a.name: observed.answers.get(a.name, {}) for a in assignments}


def write(answers: Answers, *, assignments: Sequence[Assignment],
          root: Path | None = None) -> list[Path]:
    """Writes each assignment's snapshot files; returns those that changed."""
    written = []
    for assignment in assignments:
        for path, data in snapshot_files(assignment, answers.get(assignment.name, {}),
                                         root=root):
            if write_if_changed(path, data):
                written.append(path)
    return written


def stale(answers: Answers, *, assignments: Sequence[Assignment],
          root: Path | None = None) -> list[str]:
    """Says which recorded snapshots differ from ``answers``, one line each.

    Values are compared with the grading tolerances rather than byte by byte,
    so a machine whose floating-point kernels differ in the last bit does not
    call the committed snapshots stale; the set of recorded keys must match
    exactly (a missing key would fail a student's ``check``).
    """
    problems = []
    for assignment in assignments:
        try:
            store = SnapshotStore.load(assignment, root=root)
        except SnapshotError as error:
            problems.append(f"  {snapshot_dir(assignment, root)}: {error}")
            continue
        problem = _difference(store.recordings(), answers.get(assignment.name, {}))
        if problem:
            problems.append(f"  {store.path}: {problem}")
    return problems


def _difference(recorded: Mapping[str, Recording], fresh: Mapping[str, Recording]) -> str:
    """What differs between recorded and fresh reference calls, or ``""``."""
    new, gone = set(fresh) - set(recorded), set(recorded) - set(fresh)
    if new or gone:
        return (f"the checks now ask {len(new)} question(s) it has no answer for and no "
                f"longer ask {len(gone)} it has")
    for key in sorted(fresh):
        problem = input_difference(recorded[key].inputs, fresh[key].inputs)
        if problem:
            return f"the inputs of {key} changed: {problem}"
        try:
            assert_close(recorded[key].answer, fresh[key].answer, what=f"the answer to {key}")
        except CheckFailure as failure:
            return f"an answer changed: {failure}"
    return ""


def main(*, solutions: Path, assignments: Sequence[Assignment], root: Path | None = None,
         check: bool = False) -> int:
    """Records the public snapshots, or checks that the recorded ones are current.

    Args:
        solutions: The reference solutions to grade.
        assignments: Whose snapshots to record.
        root: Where to write them (``root/<name>/``); beside each assignment's
            checks by default, which is where ``torchgrade check`` reads them.
        check: Write nothing; report stale or missing snapshots instead, for CI.

    Returns:
        0 when written or current, 1 with ``check`` when any is stale.

    Raises:
        RecordingError: the reference does not score full marks.
    """
    answers = record(solutions=solutions, assignments=assignments)
    count = sum(len(a) for a in answers.values())
    if not check:
        for path in write(answers, assignments=assignments, root=root):
            print(f"wrote {path}")
        print(f"{count} reference answer(s) of {len(assignments)} assignment(s) recorded "
              f"for the public seed {PUBLIC_SEED}")
        return 0
    problems = stale(answers, assignments=assignments, root=root)
    if not problems:
        print(f"the public snapshots of {len(assignments)} assignment(s) are up to date")
        return 0
    print("These public snapshots are out of date:")
    print("\n".join(problems))
    print(f"Re-record them (never edit them by hand) with:\n  {RECORD_COMMAND}")
    return 1
