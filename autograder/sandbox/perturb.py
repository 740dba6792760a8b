"""Perturbations that another machine, or an equally correct student, causes.

A check is well conditioned when what it compares is decided by the
mathematics, not by rounding (SPEC §2). The conditioning audit
(:mod:`autograder.judge.audit`) proves it by grading the reference solution
under each :class:`Perturbation` against the unperturbed reference: a check
that fails there would fail correct code on some machine.

The judge side only names a perturbation; :func:`perturbed` is the scenario
that applies it inside the sandbox, around the real scenario:

* ``nudge_ulps``: every floating-point input tensor is multiplied by
  ``1 + u * ulps * eps`` (``u`` uniform in [-1, 1], ``eps`` the dtype's
  machine epsilon): inputs as another CPU's random-number kernels make them;
* ``jitter_ulps``: the result of every matrix product, linear layer, loss and
  reduction is multiplied the same way: another kernel's rounding, or a
  student who sums in another order;
* ``threads``: the call runs with that many intra-op threads instead of one;
* ``environment``: the zygote starts with these variables, e.g. torch's
  generic CPU kernels and MKL's reproducible code path instead of this CPU's.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.overrides import TorchFunctionMode


@dataclass(frozen=True)
class Perturbation:
    """One way in which another machine or a correct student changes rounding.

    Attributes:
        name: Short name, used in reports (``inputs``, ``threads``, ...).
        description: What it does, for the audit's report.
        nudge_ulps: Relative size of the input nudge, in machine epsilons.
        jitter_ulps: Relative size of the nudge of each result, in machine epsilons.
        threads: Intra-op threads for each call (0 leaves the sandbox's one).
        environment: Variables the zygote starts with (kernel choice).
        seed: Seeds the nudges, so that an audit is reproducible.
    """

    name: str
    description: str
    nudge_ulps: float = 0.0
    jitter_ulps: float = 0.0
    threads: int = 0
    environment: tuple[tuple[str, str], ...] = ()
    seed: int = 0

    def arguments(self) -> dict[str, Any]:
        """What :func:`perturbed` needs besides the scenario (plain values)."""
        return {"nudge_ulps": self.nudge_ulps, "jitter_ulps": self.jitter_ulps,
                "threads": self.threads, "seed": self.seed}


PERTURBATIONS = (
    Perturbation("inputs", "floating-point inputs nudged by up to 8 ulps (1e-6 relative "
                           "in float32)", nudge_ulps=8),
    Perturbation("arithmetic", "every product, reduction and loss nudged by up to 4 ulps, "
                               "as another kernel or summation order rounds",
                 jitter_ulps=4),
    Perturbation("threads", "4 intra-op threads instead of 1", threads=4),
    Perturbation("kernels", "torch's generic CPU kernels and MKL's compatible code path "
                            "(ATEN_CPU_CAPABILITY=default, MKL_CBWR=COMPATIBLE)",
                 environment=(("ATEN_CPU_CAPABILITY", "default"), ("MKL_CBWR", "COMPATIBLE"))),
)
"""What the audit applies, each on its own."""


def perturbed(mod: Any, scenario: str, args: dict[str, Any], nudge_ulps: float,
              jitter_ulps: float, threads: int, seed: int) -> Any:
    """Runs the scenario ``scenario`` (``"package.module:function"``) perturbed.

    Runs in the sandbox; the judge sends it in place of the scenario itself.
    """
    module_name, _, function_name = scenario.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    generator = torch.Generator().manual_seed(seed)
    if nudge_ulps:
        args = _nudged(args, nudge_ulps, generator)
    with _threads(threads), (_Jitter(jitter_ulps, generator) if jitter_ulps
                             else contextlib.nullcontext()):
        return function(mod, **args)


def _nudged(value: Any, ulps: float, generator: torch.Generator) -> Any:
    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
        return value * _factor(value, ulps, generator)
    if isinstance(value, dict):
        return {key: _nudged(item, ulps, generator) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_nudged(item, ulps, generator) for item in value)
    return value


def _factor(like: torch.Tensor, ulps: float, generator: torch.Generator) -> torch.Tensor:
    """``1 + u * ulps * eps`` elementwise, ``u`` uniform in [-1, 1], on ``like``'s device."""
    u = torch.rand(like.shape, generator=generator, dtype=torch.float64) * 2 - 1
    eps = torch.finfo(like.dtype).eps
    return (1 + u * ulps * eps).to(dtype=like.dtype, device=like.device)


@contextlib.contextmanager
def _threads(count: int) -> Iterator[None]:
    if not count:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_JITTERED = {
    torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__, torch.Tensor.__rmatmul__,
    torch.mm, torch.Tensor.mm, torch.bmm, torch.Tensor.bmm, torch.addmm, torch.Tensor.addmm,
    torch.nn.functional.linear, torch.sum, torch.Tensor.sum, torch.mean, torch.Tensor.mean,
    torch.nn.functional.mse_loss, torch.nn.functional.cross_entropy,
    torch.nn.functional.batch_norm,
}


class _Jitter(TorchFunctionMode):
    """Nudges the result of every out-of-place product, reduction and loss by a few ulps."""

    def __init__(self, ulps: float, generator: torch.Generator) -> None:
        super().__init__()
        self._ulps, self._generator = ulps, generator

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        if (func in _JITTERED and type(result) is torch.Tensor
                and result.is_floating_point() and result.numel()
                and result.device.type == "cpu" and "out" not in (kwargs or {})):
            return result * _factor(result, self._ulps, self._generator)
        return result
