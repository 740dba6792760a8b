"""Progress of a batch on the terminal: a live bar on a terminal, plain lines in a log.

On an interactive terminal, :mod:`tqdm` draws one line with the count, the
rate and the time left; anywhere else (CI logs, files) each graded submission
is one plain line with the same figures, so a log reads well and greps well.
Both go to standard error: standard output carries the gradebook.
"""

from __future__ import annotations

import sys
import threading
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


class Steps:
    """A long command's steps, each announced as it starts, on standard error.

    On an interactive terminal a :mod:`tqdm` bar shows the step running, how
    many are done and the time so far, ticking every second even while a step
    reports nothing; anywhere else each step is one plain line
    (``[3/7] title``) printed as it starts, so a log shows what a silent
    minute is spent on.
    """

    def __init__(self, *, total: int, stream: TextIO | None = None) -> None:
        self.total, self.count = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        if total and self.stream.isatty():
            from tqdm import tqdm  # type: ignore[import-untyped]

            self.bar = tqdm(total=total, file=self.stream, unit="step", dynamic_ncols=True,
                            bar_format="{desc} [{n_fmt}/{total_fmt} done, {elapsed}]")
            self._ticking = threading.Event()
            threading.Thread(target=self._tick, daemon=True).start()

    def _tick(self) -> None:
        while not self._ticking.wait(1.0):
            self.bar.refresh()

    def start(self, title: str) -> None:
        """Announces the next step; the previous one counts as done."""
        self.count += 1
        if self.bar is None:
            print(f"[{self.count}/{self.total}] {title}", file=self.stream, flush=True)
            return
        if self.count > 1:
            self.bar.update(1)
        self.bar.set_description_str(f"[{self.count}/{self.total}] {title}")

    def print(self, text: str, out: TextIO | None = None) -> None:
        """Prints a report line to ``out`` (standard output) without garbling the bar."""
        if self.bar is None:
            print(text, file=out, flush=True)  # in step with the announcements in a log
            return
        from tqdm import tqdm  # type: ignore[import-untyped]

        with tqdm.external_write_mode(file=self.stream):
            print(text, file=out, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self._ticking.set()
            self.bar.update(self.total - self.bar.n)
            self.bar.close()
