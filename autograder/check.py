"""``torchgrade check``: a student grades their working copy with public seeds."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from autograder import registry
from autograder.judge.session import GradingOptions, grade_batch
from autograder.layout import solutions_dir
from autograder.report import render_feedback
from autograder.submission import open_submission

PUBLIC_SEED = 0
"""The fixed seed of ``check``: the same inputs every time, unlike ``grade``."""


def main(*, path: Path, names: Sequence[str] = (), solutions: Path | None = None,
         out: TextIO = sys.stdout) -> int:
    """Grades the assignments ``names`` (all by default) of the folder ``path``."""
    chosen = registry.select(list(names))
    reference = solutions_dir(solutions)
    with tempfile.TemporaryDirectory(prefix="torchgrade-check-") as work:
        opened = open_submission(Path(path), assignments=chosen, workdir=Path(work))
        [result] = grade_batch([opened], assignments=opened.assignments,
                               options=GradingOptions(solutions=reference, seed=PUBLIC_SEED))
    print(render_feedback(result), file=out)
    return 0
