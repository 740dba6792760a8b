"""``torchgrade demo``: grade the bundled examples as one batch and print a gradebook.

The batch is the reference solutions, the generated stubs and every folder of
``examples/submissions/`` (typical student mistakes), so a newcomer sees in
one command what the kit does: 100 for the reference, 0 for the stubs, and
the points each mistake costs.
"""

from __future__ import annotations

import dataclasses
import secrets
import tempfile
import time
from pathlib import Path
from typing import TextIO

from autograder import registry
from autograder.intake.submission import open_submission
from autograder.judge.engine import grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions
from autograder.layout import examples_dir, solutions_dir, stubs_dir
from autograder.results.feedback import render_feedback, render_gradebook
from autograder.sandbox.launch import ZygoteProcess


def main(*, examples: Path | None = None, seed: int | None = None, verbose: bool = False,
         out: TextIO | None = None, launched: ZygoteProcess | None = None) -> int:
    """Grades the reference, the stubs and the examples; prints the gradebook.

    ``launched`` is a zygote the CLI launched early (see
    :mod:`autograder.sandbox.launch`).
    """
    assignments = registry.discover()
    reference = solutions_dir()
    folders = [("reference (solutions/)", reference), ("stubs (assignments/)", stubs_dir())]
    examples = examples_dir() if examples is None else Path(examples)
    folders += [(f"example: {p.name}", p) for p in sorted(examples.iterdir()) if p.is_dir()]
    seed = secrets.randbits(32) if seed is None else seed
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="torchgrade-demo-") as work:
        submissions = [
            dataclasses.replace(open_submission(path, assignments=assignments,
                                                workdir=Path(work)), label=label)
            for label, path in folders]
        results = grade(submissions, assignments=assignments,
                        options=GradingOptions(reference=Solutions(reference), seed=seed),
                        launched=launched).results
    elapsed = time.monotonic() - start
    if verbose:
        for result in results[2:]:
            print(render_feedback(result) + "\n", file=out)
    print(render_gradebook(results), file=out)
    print(f"\nGraded {len(results)} submissions in {elapsed:.1f} s (seed {seed}).", file=out)
    return 0
