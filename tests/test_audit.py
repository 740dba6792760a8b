"""The conditioning audit names a check that rounding decides; the perturbations are real.

The audit itself runs over this checkout's checks in ``test_validate.py``
(``torchgrade validate`` runs it); here it meets the check that once failed
correct students on other machines, and the perturbations are checked to do
what they say, in this process.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from autograder.judge.audit import audit
from autograder.judge.snapshots import PUBLIC_SEED
from autograder.sandbox.perturb import PERTURBATIONS, perturbed
from tests.conftest import SOLUTIONS
from tests.fixtures.adam_batchnorm_resume import ASSIGNMENT as ADAM_BATCHNORM_RESUME

RESUME = "05_training_loop/checkpoint_resume"


def test_the_audit_names_the_adam_batchnorm_resume_check(tmp_path: Path) -> None:
    report = audit(solutions=SOLUTIONS, assignments=[ADAM_BATCHNORM_RESUME],
                   seeds=[PUBLIC_SEED], work=tmp_path, perturbations=PERTURBATIONS)
    assert {trial.check for trial in report.ill_conditioned} == {RESUME}
    failed = {trial.perturbation for trial in report.ill_conditioned}
    assert {"inputs", "arithmetic", "kernels"} <= failed, failed
    worst = report.worst()[RESUME]
    assert worst.spread is not None and worst.spread.ratio > 100
    # The bias feeding batch norm: its true gradient is zero, Adam scales the noise up.
    assert worst.spread.what.startswith("'0.bias' in ")
    line = worst.describe()
    assert line.startswith(RESUME) and "x the tolerance" in line and "beyond" in line
    assert report.summary().startswith("1 ill-conditioned check(s)")
    assert RESUME in report.summary()


def echo(mod: Any, **args: Any) -> dict[str, Any]:
    """A scenario that returns its inputs, and a product, sum and threads seen inside."""
    x, w = args["x"], args["w"]
    return {**args, "product": x @ w, "total": x.sum(), "threads": torch.get_num_threads(),
            "module": mod}


def _run(name: str, **args: Any) -> dict[str, Any]:
    [perturbation] = [p for p in PERTURBATIONS if p.name == name]
    return perturbed("the module", f"{__name__}:echo", args, **perturbation.arguments())


def _inputs() -> dict[str, Any]:
    rng = torch.Generator().manual_seed(3)
    return {"x": torch.randn(6, 5, generator=rng), "w": torch.randn(5, 4, generator=rng,
                                                                   dtype=torch.float64).float(),
            "d": torch.randn(9, generator=rng, dtype=torch.float64), "n": 7, "lr": 0.5,
            "ids": torch.arange(4)}


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a.double() - b.double()).abs() / b.double().abs()).max())


def test_inputs_are_nudged_by_a_few_ulps_of_their_own_dtype() -> None:
    clean = _inputs()
    got = _run("inputs", **clean)
    for key in ("x", "w", "d"):
        eps = torch.finfo(clean[key].dtype).eps
        assert 0 < _relative(got[key], clean[key]) <= 9 * eps, key  # 8, plus rounding
    assert got["n"] == 7 and got["lr"] == 0.5 and torch.equal(got["ids"], clean["ids"])
    assert got["module"] == "the module"
    again = _run("inputs", **clean)
    assert torch.equal(again["x"], got["x"])  # seeded: an audit can be reproduced


def test_products_and_reductions_are_jittered_by_a_few_ulps() -> None:
    clean = _inputs()
    got = _run("arithmetic", **clean)
    assert torch.equal(got["x"], clean["x"])  # inputs untouched
    eps = torch.finfo(torch.float32).eps
    product = _relative(got["product"], clean["x"] @ clean["w"])
    assert 0 < product <= 5 * eps  # 4, plus rounding
    assert 0 < _relative(got["total"].reshape(1), clean["x"].sum().reshape(1)) <= 5 * eps


def test_threads_are_set_for_the_call_and_restored() -> None:
    before = torch.get_num_threads()
    got = _run("threads", **_inputs())
    assert got["threads"] == 4 and torch.get_num_threads() == before


def test_every_perturbation_is_named_and_described() -> None:
    names = [p.name for p in PERTURBATIONS]
    assert names == ["inputs", "arithmetic", "threads", "kernels"]
    assert all(p.description for p in PERTURBATIONS)
    [kernels] = [p for p in PERTURBATIONS if p.name == "kernels"]
    assert dict(kernels.environment)["ATEN_CPU_CAPABILITY"] == "default"
    assert math.isclose(PERTURBATIONS[0].nudge_ulps * torch.finfo(torch.float32).eps, 9.5e-7,
                        rel_tol=0.01)


def test_float32_normals_in_checks_are_drawn_alike_on_every_cpu(tmp_path: Path) -> None:
    """The judge draws float32 normals through float64: generic kernels give the same bits.

    Without it, torch's AVX2 kernel and the generic one (ARM laptops) draw
    float32 normals that differ by up to ~20 ulps, and public snapshots would
    not hold there.
    """
    script = (
        "import hashlib, torch\n"
        "from autograder.judge.portable import PortableNormals\n"
        "g = torch.Generator().manual_seed(5)\n"
        "with PortableNormals():\n"
        "    a = torch.randn(64, 8, generator=g)\n"
        "    b = torch.empty(40).normal_(generator=g)\n"
        "    torch.manual_seed(6)\n"
        "    c = torch.randn_like(a, dtype=torch.float16)\n"
        "raw = torch.randn(64, 8, generator=torch.Generator().manual_seed(5))\n"
        "print(a.dtype, b.dtype, c.dtype, hashlib.sha256(a.numpy().tobytes() + "
        "b.numpy().tobytes() + c.numpy().tobytes()).hexdigest(), "
        "hashlib.sha256(raw.numpy().tobytes()).hexdigest())\n")
    outputs = {}
    for capability in ("default", "avx2"):
        env = {**os.environ, "ATEN_CPU_CAPABILITY": capability}
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, timeout=120, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        outputs[capability] = run.stdout.split()
    generic, vectorised = outputs["default"], outputs["avx2"]
    assert generic[:3] == ["torch.float32", "torch.float32", "torch.float16"]
    assert generic[3] == vectorised[3], "float32 normals through float64 differ by kernel"
    if generic[4] == vectorised[4]:
        pytest.skip("this CPU has no AVX2 kernel, so plain randn drew alike too")
