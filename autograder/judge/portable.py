"""Inputs that every machine draws alike: normals in float32 go through float64.

Checks build their inputs in the judge from a seeded generator, and
``torchgrade check`` looks their answers up in snapshots recorded on another
machine. Most of torch's random kernels give the same bits everywhere, but
not float32 normals: on x86 CPUs with AVX2, ``torch.randn`` of 16 or more
float32 values takes a vectorised path whose logarithm and cosine round
differently from the scalar path that other CPUs (ARM laptops included) take,
by up to about twenty ulps. The float64 path is scalar everywhere, and
rounding its result to float32 gives the same float32 values on every machine.

:class:`PortableNormals` is active while a check runs (see
:mod:`autograder.judge.plugin`): every float32 (or half-precision) normal a
check draws is drawn in float64 and rounded, so the inputs, and the answers
recorded for them, are the same on every machine. Checks need not know.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import TorchFunctionMode


def _needs_float64(dtype: torch.dtype | None) -> bool:
    dtype = dtype or torch.get_default_dtype()
    return dtype.is_floating_point and dtype != torch.float64


_RANDN, _RANDN_LIKE, _NORMAL = torch.randn, torch.randn_like, torch.Tensor.normal_


class PortableNormals(TorchFunctionMode):
    """Draws ``randn``, ``randn_like`` and ``normal_`` of float32 in float64, then rounds."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        if func is not _RANDN and func is not _RANDN_LIKE and func is not _NORMAL:
            return func(*args, **(kwargs or {}))  # every other call (comparisons above all)
        kwargs = dict(kwargs or {})
        if "out" in kwargs:
            return func(*args, **kwargs)
        if func is torch.randn and _needs_float64(kwargs.get("dtype")):
            return self._rounded(func, args, kwargs, kwargs.get("dtype"))
        if func is torch.randn_like and args and _needs_float64(
                kwargs.get("dtype") or args[0].dtype):
            return self._rounded(func, args, kwargs, kwargs.get("dtype") or args[0].dtype)
        if func is torch.Tensor.normal_ and args and _needs_float64(args[0].dtype):
            target = args[0]
            drawn = torch.empty_like(target, dtype=torch.float64).normal_(*args[1:], **kwargs)
            with torch.no_grad():
                return target.copy_(drawn)
        return func(*args, **kwargs)

    @staticmethod
    def _rounded(func: Any, args: Any, kwargs: dict[str, Any], dtype: torch.dtype | None
                 ) -> torch.Tensor:
        requires_grad = bool(kwargs.pop("requires_grad", False))
        drawn = func(*args, **{**kwargs, "dtype": torch.float64})
        return drawn.to(dtype or torch.get_default_dtype()).requires_grad_(requires_grad)
