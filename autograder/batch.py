"""``torchgrade grade SUB... --out DIR``: a whole class in one command, nothing lost.

The inputs are any number of submissions (folders, zips, single files with
``--assignment``) and class folders or course exports, which intake splits
into one entry per student (:mod:`autograder.intake.classroom`). An input that
cannot be opened becomes a row with status ``error``; it never stops the
batch. Grading goes through the one entry point, :func:`autograder.judge.engine.grade`,
with ``--jobs`` judge processes; every result is saved the moment it is
graded (:mod:`autograder.results.store`), so a re-run after a crash, a
``kill -9`` or a power cut grades only what is left. ``--shard K/N`` grades a
deterministic share of the class, and ``torchgrade merge`` puts the shards'
results back into one gradebook.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from autograder import registry
from autograder.intake.classroom import Entry, find_class
from autograder.intake.submission import Submission, SubmissionError, open_submission
from autograder.judge.engine import Unusable, grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions, InternalError, grading_device
from autograder.layout import solutions_dir
from autograder.registry import Assignment
from autograder.results import SubmissionResult
from autograder.results.feedback import render_gradebook
from autograder.results.progress import Progress
from autograder.results.store import ResultStore, fingerprint, tree_digest
from autograder.sandbox.client import Limits
from autograder.sandbox.launch import ZygoteProcess

EXIT_GRADED, EXIT_USAGE, EXIT_INTERNAL = 0, 2, 3
_SHARD = re.compile(r"^(\d+)/(\d+)$")


class UsageError(Exception):
    """Bad arguments for a batch (exit 2); the message says what to pass instead."""


@dataclass(frozen=True)
class Shard:
    """The K-th of N shares of a class (1-based), by the students' sorted labels."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise UsageError(f"--shard {text!r}: give K/N with 1 <= K <= N, e.g. --shard 2/4")
        return cls(int(match[1]), int(match[2]))

    def keep(self, entries: Sequence[Entry]) -> list[Entry]:
        ordered = sorted(entries, key=lambda e: e.label)
        return [e for i, e in enumerate(ordered) if i % self.count == self.index - 1]


def is_class(path: Path, *, assignment: str | None = None) -> bool:
    """Whether ``path`` is a class folder or course export rather than one submission."""
    chosen = registry.select([assignment] if assignment else None)
    with tempfile.TemporaryDirectory(prefix="torchgrade-look-") as work:
        return find_class(Path(path), assignments=chosen, workdir=Path(work)) is not None


def main(*, paths: Sequence[Path], out: Path | None = None, jobs: int | None = None,
         shard: str | None = None, seed: int | None = None, solutions: Path | None = None,
         assignment: str | None = None, details: bool = False,
         call_seconds: float | None = None, device: str = "cpu", stdout: TextIO | None = None,
         launched: ZygoteProcess | None = None, html: Path | None = None) -> int:
    """Grades every submission in ``paths``; saves results, a gradebook and a report in ``out``.

    With ``html``, also writes an HTML feedback page per submission there.

    Returns:
        0 when graded (whatever the scores); 3 when the grader itself failed
        (what was graded before that is saved).

    Raises:
        UsageError, StoreError, SubmissionError, DeviceUnavailable: exit 2.
    """
    device = grading_device(device)
    chosen = registry.select([assignment] if assignment else None)
    reference = solutions_dir(solutions)
    store = ResultStore(out) if out is not None else None
    share = Shard.parse(shard) if shard else None
    if share is not None and seed is None and (store is None or store.seed() is None):
        raise UsageError("--shard needs --seed: every shard must draw the same inputs for "
                         "their results to merge into one gradebook")
    seed = _seed(seed, store)
    with tempfile.TemporaryDirectory(prefix="torchgrade-batch-") as scratch:
        entries = _entries(paths, chosen, Path(scratch))
        if share is not None:
            entries = share.keep(entries)
        items = [_open(entry, chosen, Path(scratch) / "open" / str(number), assignment)
                 for number, entry in enumerate(entries)]
        notes = {entry.label: entry.note for entry in entries if entry.note}
        limits = Limits() if call_seconds is None else Limits(call_seconds=call_seconds)
        if device != "cpu":
            limits = replace(limits, memory_bytes=None)  # CUDA cannot live with RLIMIT_AS
        options = GradingOptions(reference=Solutions(reference), seed=seed, limits=limits,
                                 device=device)
        run = _Run(store, items, options, chosen, details, tree_digest(reference), notes)
        if store is not None or html is not None:
            _import_pages_meanwhile()
        code = run.grade(jobs, launched)
    _write_pages(run.results(), store, html)
    print(render_gradebook(run.results()), file=stdout)
    print(run.summary(), file=stdout)
    return code


def _write_pages(results: Sequence[SubmissionResult], store: ResultStore | None,
                 html: Path | None) -> None:
    """The class report beside the gradebook, and the feedback pages when asked for."""
    if store is not None:
        from autograder.results.report import write_report

        write_report(store.root, results)
    if html is not None:
        from autograder.results.html import write_feedback_pages

        write_feedback_pages(results, html)


def _import_pages_meanwhile() -> None:
    """Imports what draws the pages (matplotlib: about 0.9 s) while the class is graded.

    Pages are written once the last result is in, when the other judges have
    finished and their cores are idle; imported here, in a thread that runs
    while this judge waits for its sandboxes, the import is off that tail.
    A failed import is left for :func:`_write_pages` to report.
    """
    def load() -> None:
        with contextlib.suppress(Exception):
            import autograder.results.html
            import autograder.results.plots
            import autograder.results.report  # noqa: F401

    threading.Thread(target=load, name="torchgrade-pages", daemon=True).start()


def _seed(seed: int | None, store: ResultStore | None) -> int:
    if seed is not None:
        return seed
    earlier = store.seed() if store is not None else None
    return earlier if earlier is not None else secrets.randbits(32)


def _entries(paths: Sequence[Path], assignments: Sequence[Assignment], work: Path
             ) -> list[Entry]:
    """One entry per student: class folders are split, other paths are one each."""
    entries: list[Entry] = []
    for number, path in enumerate(paths):
        path = Path(path)
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        found = find_class(path, assignments=assignments, workdir=work / f"class-{number}")
        entries += found if found is not None else [Entry(label=_label(path), path=path)]
    seen: dict[str, int] = {}
    unique = []
    for entry in entries:
        seen[entry.label] = seen.get(entry.label, 0) + 1
        count = seen[entry.label]
        unique.append(entry if count == 1 else replace(
            entry, label=f"{entry.label}-{count}", note=" ".join(filter(None, (
                entry.note, f"Another input was also called {entry.label}, so this one is "
                            f"{entry.label}-{count}.")))))
    return unique


def _label(path: Path) -> str:
    resolved = path.resolve()
    return resolved.stem if resolved.is_file() else resolved.name or str(resolved)


def _open(entry: Entry, assignments: Sequence[Assignment], work: Path,
          assignment: str | None) -> Submission | Unusable:
    """The entry's submission, or why it cannot be graded (a row, never an exception)."""
    try:
        opened = open_submission(entry.path, assignments=assignments, workdir=work,
                                 assignment=assignments[0] if assignment else None)
    except SubmissionError as error:
        return Unusable(entry.label, " ".join(filter(None, (str(error), entry.note))))
    except OSError as error:
        return Unusable(entry.label, f"{entry.path} could not be read ({error.strerror}).")
    return replace(opened, label=entry.label)


class _Run:
    """One batch run: what to grade, what is already saved, and what came out."""

    def __init__(self, store: ResultStore | None, items: Sequence[Submission | Unusable],
                 options: GradingOptions, assignments: Sequence[Assignment], details: bool,
                 reference: str, notes: dict[str, str]) -> None:
        self.store, self.options, self.details = store, options, details
        self.notes = notes  # what intake says about a student's entry, shown with the result
        self.names = [a.name for a in assignments]
        self.assignments = assignments
        self.order = [item.label for item in items]
        self.done: dict[str, SubmissionResult] = {}
        self.todo: list[tuple[Submission | Unusable, str]] = []
        saved = store.saved() if store is not None else {}
        for item in items:
            mark = "" if isinstance(item, Unusable) else fingerprint(
                item, seed=options.seed, device=options.device, reference=reference)
            earlier = saved.get(item.label)
            if (mark and earlier is not None and earlier.fingerprint == mark
                    and earlier.result.status == "graded"):
                self.done[item.label] = earlier.result
            else:
                self.todo.append((item, mark))
        self.skipped = len(self.done)
        self.seconds = 0.0
        self.failure = ""

    def grade(self, jobs: int | None, launched: ZygoteProcess | None) -> int:
        if self.store is not None:
            self.store.begin(seed=self.options.seed, assignments=self.names)
        progress = Progress(total=len(self.todo), skipped=self.skipped)
        usable = sum(isinstance(item, Submission) for item, _ in self.todo)
        workers = jobs if jobs is not None else min(os.cpu_count() or 1, math.ceil(usable / 4))

        def on_result(index: int, result: SubmissionResult) -> None:
            item, mark = self.todo[index]
            note = self.notes.get(item.label, "")
            if note and note not in result.message:
                result = replace(result, message=" ".join(filter(None, (result.message, note))))
            self.done[item.label] = result
            if self.store is not None:
                self.store.save(result, fingerprint=mark, details=self.details)
            progress.update(result)

        try:
            batch = grade([item for item, _ in self.todo], assignments=self.assignments,
                          options=self.options, jobs=max(1, workers), launched=launched,
                          on_result=on_result)
            self.seconds = batch.seconds
        except InternalError as error:
            self.failure = error.reason
            print(f"torchgrade: the grader itself failed: {error}", file=sys.stderr)
        finally:
            progress.close()
            if self.store is not None:
                self.store.write_gradebook(self.results(), assignments=self.names)
        return EXIT_INTERNAL if self.failure else EXIT_GRADED

    def results(self) -> list[SubmissionResult]:
        return [self.done[label] for label in self.order if label in self.done]

    def summary(self) -> str:
        graded = len(self.done) - self.skipped
        rate = f", {graded / self.seconds:.2f} per second" if self.seconds and graded else ""
        kept = (f"; {self.skipped} unchanged since the last run were kept"
                if self.skipped else "")
        where = (f"; gradebook: {self.store.root / 'gradebook.csv'}"
                 if self.store is not None else "")
        return (f"\nGraded {graded} of {len(self.order)} submissions in {self.seconds:.1f} s"
                f"{rate}{kept} (seed {self.options.seed}){where}.")


def merge(*, folders: Sequence[Path], out: Path, stdout: TextIO | None = None) -> int:
    """Combines the results of several batch folders (shards) into one gradebook.

    Raises:
        UsageError, StoreError: a folder is not a batch, or two disagree.
    """
    target = ResultStore(out)
    combined: dict[str, tuple[SubmissionResult, str]] = {}
    seeds, names = set(), []
    for folder in folders:
        source = ResultStore(folder)
        seed = source.seed()
        if seed is None:
            raise UsageError(f"{folder} is not the --out folder of a torchgrade batch")
        seeds.add(seed)
        for label, saved in source.saved().items():
            if label in combined and combined[label][1] != saved.fingerprint:
                raise UsageError(f"{label} was graded differently in two of the folders")
            combined[label] = (saved.result, saved.fingerprint)
            names += [a.name for a in saved.result.assignments if a.name not in names]
    if len(seeds) > 1:
        raise UsageError(f"the folders were graded with different seeds ({sorted(seeds)}): "
                         "grade every shard with the same --seed")
    target.begin(seed=seeds.pop() if seeds else 0, assignments=sorted(names))
    for result, mark in combined.values():
        target.save(result, fingerprint=mark, details=True)
    results = [combined[label][0] for label in sorted(combined)]
    target.write_gradebook(results, assignments=sorted(names))
    _write_pages(results, target, None)
    print(render_gradebook(results), file=stdout)
    print(f"\nMerged {len(results)} results from {len(folders)} folders into "
          f"{target.root / 'gradebook.csv'}.", file=stdout)
    return EXIT_GRADED
