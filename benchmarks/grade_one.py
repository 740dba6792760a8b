"""Wall time to grade one full submission, as a ratio to importing torch.

Run by hand (``make bench`` or ``python benchmarks/grade_one.py``). The floor,
``python -c "import torch"``, is measured in the same run on the same machine,
so the ratios compare across machines where raw seconds do not. Also reports
the marginal cost of one more submission in a batch, which is what classroom
grading pays.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_wall(command: list[str], repeat: int) -> float:
    return statistics.median(wall(command) for _ in range(repeat))


def batch_seconds(count: int) -> float:
    from autograder.intake.submission import open_submission
    from autograder.judge.reference import Solutions
    from autograder.judge.session import GradingOptions, grade_batch
    from autograder.registry import discover

    assignments = discover()
    with tempfile.TemporaryDirectory() as work:
        submissions = [open_submission(ROOT / "solutions", assignments=assignments,
                                       workdir=Path(work)) for _ in range(count)]
        start = time.perf_counter()
        results = grade_batch(submissions, assignments=assignments, options=GradingOptions(
            reference=Solutions(ROOT / "solutions"), seed=1))
        elapsed = time.perf_counter() - start
    assert all(r.score == r.max_score for r in results), "the reference must score 100"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        floor = median_wall([sys.executable, "-c", "import torch"], args.repeat)
        one = median_wall([sys.executable, "-m", "autograder.cli", "grade", "solutions",
                           "--json", f"{out}/r.json"], args.repeat)
    single, many = batch_seconds(1), batch_seconds(args.batch)
    marginal = (many - single) / (args.batch - 1)
    print(f"floor: python -c 'import torch'         {floor:6.2f} s   1.00x")
    print(f"torchgrade grade solutions (1 process)   {one:6.2f} s   {one / floor:.2f}x")
    print(f"in-process batch of 1                    {single:6.2f} s   {single / floor:.2f}x")
    print(f"in-process batch of {args.batch:<3}                  {many:6.2f} s   "
          f"{many / floor:.2f}x")
    print(f"marginal cost of one more submission     {marginal:6.2f} s   "
          f"{marginal / floor:.2f}x")


if __name__ == "__main__":
    main()
