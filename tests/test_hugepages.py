"""A zygote asked for huge pages forks sandboxes that share them and grade alike."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from autograder.sandbox.client import Budget, Limits, Zygote
from autograder.sandbox.generic import call

LIMITS = Limits(call_seconds=10.0, load_seconds=10.0)
PROBE = textwrap.dedent("""
    import torch

    def probe():
        with open("/proc/self/smaps_rollup") as rollup:
            huge = [line for line in rollup if line.startswith("AnonHugePages:")]
        model = torch.nn.Linear(3, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(4, 3)).sum().backward()
        optimizer.step()
        return {"huge_kib": int(huge[0].split()[1]) if huge else 0,
                "weight": model.weight.detach()}
""")


def _collapse_supported() -> bool:
    """MADV_COLLAPSE: Linux 6.1 and later, with transparent huge pages not switched off."""
    setting = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if not sys.platform.startswith("linux") or not setting.exists():
        return False
    version = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return (version is not None and (int(version[1]), int(version[2])) >= (6, 1)
            and "[never]" not in setting.read_text())


def _probe(zygote: Zygote, path: Path) -> dict:
    box = zygote.sandbox(path=path, module="student", limits=LIMITS, budget=Budget(60),
                         label=path.name)
    try:
        return box.run(call, function="probe")
    finally:
        box.discard()


def test_sandboxes_forked_after_the_request_share_huge_pages_and_compute_alike(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(PROBE)
    (tmp_path / "zygote").mkdir()
    with Zygote(workdir=tmp_path / "zygote") as zygote:
        before = _probe(zygote, path)
        zygote.share_huge_pages()
        after = [_probe(zygote, path) for _ in range(3)]
    for got in after:
        # Every sandbox starts from the zygote's generator: the same weights, the same step.
        assert got["weight"].equal(before["weight"])
    if _collapse_supported():  # elsewhere the request changes nothing, forks included
        # Best effort: how much collapses depends on free memory (16-190 MiB seen here).
        assert min(got["huge_kib"] for got in after) >= 2048


def test_collapse_reports_what_it_moved_and_leaves_the_process_working():
    code = textwrap.dedent("""
        import torch
        from autograder.sandbox import hugepages
        moved = hugepages.collapse()
        print(moved, float(torch.ones(3).sum()))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    moved, total = run.stdout.split()
    assert float(total) == 3.0
    if _collapse_supported():  # elsewhere it is a no-op, whatever the process held before
        assert int(moved) >= 2  # at least one huge page; how many depends on free memory
