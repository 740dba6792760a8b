"""Progress of a batch on the terminal: a live bar on a terminal, plain lines in a log.

On an interactive terminal, :mod:`tqdm` draws one line with the count, the
rate and the time left; anywhere else (CI logs, files) each graded submission
is one plain line with the same figures, so a log reads well and greps well.
Both go to standard error: standard output carries the gradebook.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from autograder.results.model import SubmissionResult


class Progress:
    """Counts graded submissions against ``total``; ``skipped`` were already done."""

    def __init__(self, *, total: int, skipped: int = 0, stream: TextIO | None = None) -> None:
        self.total, self.count = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.bar: Any = None
        if total and self.stream.isatty():
            from tqdm import tqdm  # type: ignore[import-untyped]

            self.bar = tqdm(total=total, file=self.stream, unit="submission",
                            desc="grading", dynamic_ncols=True)
        elif total:
            kept = f" ({skipped} unchanged since the last run are kept)" if skipped else ""
            print(f"grading {total} submission(s){kept}", file=self.stream, flush=True)

    def update(self, result: SubmissionResult) -> None:
        self.count += 1
        score = f"{result.score:g}/{result.max_score:g}"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.submission}: {score}", refresh=False)
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.start
        status = "" if result.status == "graded" else f" [{result.status}]"
        pace = ""
        if elapsed >= 1.0:  # before that, the inputs that could not be opened skew the rate
            rate = self.count / elapsed
            pace = f" ({rate:.2f}/s, {(self.total - self.count) / rate:.0f} s left)"
        print(f"[{self.count}/{self.total}] {result.submission}: {score}{status}{pace}",
              file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
