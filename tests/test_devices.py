"""The device scenarios run on: ``cpu`` everywhere, ``cuda`` where a GPU is present.

Device handling itself is graded on any machine (a stand-in accelerator that
carries values, ``autograder.sandbox.standin``, and 05's recorded moves; see
``test_standin`` and ``test_catalogue``). These tests cover choosing
the device: a device the machine lacks is a usage error, and on a machine
with CUDA the same checks run there (``gpu`` marker; skipped, never counted
as passed, without one).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from autograder.catalogue import Mistake, apply
from autograder.cli import main
from tests.conftest import SOLUTIONS, grade_folders, make_submission
from tests.test_catalogue import DEVICE_CASES, LIMITS, MISTAKES

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


def test_unknown_device_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(SOLUTIONS), "--device", "tpu"]) == 2
    assert "unknown device 'tpu'" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(SOLUTIONS), "--device", "cuda"]) == 2
    assert "no usable CUDA device" in capsys.readouterr().err


def test_cpu_is_the_default_and_is_recorded(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    assert main(["grade", str(SOLUTIONS / "04_collate" / "collate.py"), "--assignment", "04",
                 "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["device"] == "cpu" and document["score"] == 20.0


@pytest.mark.gpu
@needs_cuda
def test_checks_run_on_cuda(tmp_path: Path) -> None:
    """The reference scores full marks on CUDA; the device mistakes still lose their points."""
    cases: dict[str, Mistake] = {m.label: m for m in MISTAKES if m.label in DEVICE_CASES}
    folders = {"reference": SOLUTIONS}
    for i, (label, mistake) in enumerate(cases.items()):
        folders[label] = make_submission(
            tmp_path / f"m{i}", {mistake.assignment: lambda t, m=mistake: apply(t, m.edits)})
    limits = replace(LIMITS, memory_bytes=None)  # CUDA reserves address space RLIMIT_AS denies
    results, _ = grade_folders(folders, tmp_path / "work", seed=11, limits=limits,
                               device="cuda")
    reference = results.pop("reference")
    assert (reference.score, reference.device) == (100.0, "cuda")
    for label, result in results.items():
        failing = {c.id for a in result.assignments for c in a.checks if c.status != "passed"}
        assert DEVICE_CASES[label] in failing, label
