"""Scenario pieces that fit any assignment: call a function, compare two results.

Scenarios run inside the sandbox (see :mod:`autograder.sandbox.worker`); they
must be module-level functions so that the sandbox can import them by name.
"""

from __future__ import annotations

from typing import Any

import torch


def call(mod: Any, function: str, args: list[Any] | tuple[Any, ...] = (),
         kwargs: dict[str, Any] | None = None) -> Any:
    """Returns ``mod.<function>(*args, **kwargs)``."""
    return getattr(mod, function)(*args, **(kwargs or {}))


def reseed(seed: int, device: str = "cpu") -> None:
    """``torch.manual_seed(seed)`` for the devices a scenario uses, without its cost on a CPU.

    ``torch.manual_seed`` also queues a seeding of CUDA, and where CUDA is not
    initialised it records the caller's formatted stack for it: reading and
    stat-ing source files, over a millisecond per call, dozens of calls per
    submission. The CPU generator ends up exactly as ``torch.manual_seed``
    leaves it; CUDA is seeded too when the scenario runs there.
    """
    torch.random.default_generator.manual_seed(seed)
    if torch.device(device).type == "cuda":
        torch.cuda.manual_seed_all(seed)


def same(a: Any, b: Any) -> bool:
    """Exact equality of two results (tensors, tuples, lists, dicts of them)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)
