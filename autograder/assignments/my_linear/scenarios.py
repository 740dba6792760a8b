"""Scenarios for 02_my_linear: run inside the sandbox on the student's module."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from autograder.sandbox.generic import reseed
from autograder.sandbox.standin import StandIn


def structure(mod: Any, in_features: int, out_features: int, bias: bool) -> dict[str, Any]:
    """How the layer registers its parameters."""
    layer = mod.MyLinear(in_features, out_features, bias=bias)
    return {
        "parameters": [[name, list(p.shape), isinstance(p, nn.Parameter)]
                       for name, p in layer.named_parameters()],
        "state_dict": sorted(layer.state_dict()),
        "bias_is_none": layer.bias is None,
        "weight_is_parameter": isinstance(layer.weight, nn.Parameter),
    }


def state_dict_round_trip(mod: Any, weight: torch.Tensor, bias: torch.Tensor,
                          x: torch.Tensor) -> dict[str, Any]:
    """Loads an nn.Linear's state into MyLinear and back again."""
    linear = nn.Linear(weight.shape[1], weight.shape[0])
    linear.load_state_dict({"weight": weight, "bias": bias})
    layer = mod.MyLinear(weight.shape[1], weight.shape[0])
    layer.load_state_dict(linear.state_dict())
    back = nn.Linear(weight.shape[1], weight.shape[0])
    back.load_state_dict(layer.state_dict())
    with torch.no_grad():
        return {"out": layer(x), "back_weight": back.weight.detach(),
                "back_bias": back.bias.detach()}


def forward_backward(mod: Any, weight: torch.Tensor, bias: torch.Tensor | None,
                     x: torch.Tensor) -> dict[str, Any]:
    """Output and gradients for weights loaded from ``weight``/``bias``."""
    layer = mod.MyLinear(weight.shape[1], weight.shape[0], bias=bias is not None,
                         dtype=weight.dtype)
    state = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
    layer.load_state_dict(state)
    x = x.clone().requires_grad_(True)
    out = layer(x)
    (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
    grads = {name: p.grad for name, p in layer.named_parameters()}
    return {"out": out.detach(), "grad_x": x.grad, "grads": grads,
            "bias_is_none": layer.bias is None}


def initial_values(mod: Any, in_features: int, out_features: int, seed: int
                   ) -> dict[str, Any]:
    """Freshly initialised parameters."""
    reseed(seed)
    layer = mod.MyLinear(in_features, out_features)
    return {"weight": layer.weight.detach(), "bias": layer.bias.detach()}


def created_on_device(mod: Any, in_features: int, out_features: int, device: str, dtype: str
                      ) -> dict[str, Any]:
    """Which parameters ``device=``/``dtype=`` create, and where (on the stand-in ``device``)."""
    with StandIn() as accelerator:
        layer = mod.MyLinear(in_features, out_features, device=device,
                             dtype=getattr(torch, dtype))
        tensors = {name: getattr(layer, name, None) for name in ("weight", "bias")}
    return {"registered": sorted(name for name, _ in layer.named_parameters()),
            "devices": accelerator.where(tensors),
            "dtypes": {name: str(t.dtype).removeprefix("torch.") if isinstance(t, torch.Tensor)
                       else None for name, t in tensors.items()}}


def forward_on_device(mod: Any, weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor,
                      device: str) -> dict[str, Any]:
    """MyLinear built on the stand-in ``device``, loaded with known weights, applied to ``x``."""
    with StandIn() as accelerator:
        layer = mod.MyLinear(weight.shape[1], weight.shape[0], device=device, dtype=weight.dtype)
        layer.load_state_dict({"weight": weight.to(device), "bias": bias.to(device)})
        with torch.no_grad():
            out = layer(x.to(device))
    return {"out": out.detach() if isinstance(out, torch.Tensor) else f"<{type(out).__name__}>",
            "device": accelerator.where(out)}
