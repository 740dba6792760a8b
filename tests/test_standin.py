"""The stand-in accelerator: correct device handling keeps the device, mistakes show.

Run in-process (no sandbox): every test moves CPU tensors to the stand-in's
``cuda:1`` and checks the device each result would be on, or that mixing
devices raises CUDA's error. Correct code must never raise: a false error
would cost a student points for code that runs on every GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from autograder.sandbox.standin import DEVICE, StandIn

MIXED = "Expected all tensors to be on the same device"


def _run(code: Callable[[torch.Tensor, torch.Tensor], Any]) -> tuple[Any, Any]:
    """``code(x, w)`` with ``x`` (4, 3) and ``w`` (3, 5) on the stand-in: its result and devices."""
    generator = torch.Generator().manual_seed(0)
    x, w = torch.randn(4, 3, generator=generator), torch.randn(3, 5, generator=generator)
    with StandIn() as accelerator:
        result = code(x.to(DEVICE), w.to(DEVICE))
    return result, accelerator.where(result)


def _manual_gradients(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    h = x @ w
    grad_h = torch.where(h > 0, torch.ones_like(h), torch.zeros(h.shape, device=x.device))
    grad_h[h <= 0] = 0
    return x.T @ grad_h, h.new_zeros(2, 2)


def _parameters(x: torch.Tensor, w: torch.Tensor) -> list[torch.Tensor]:
    weight = nn.Parameter(torch.empty(2, 3, device=w.device, dtype=w.dtype))
    layer = nn.Linear(3, 2, device=x.device)
    moved = nn.Linear(3, 2).to(x.device)
    assert type(moved.weight) is nn.Parameter and type(weight) is nn.Parameter
    return [weight, layer.weight, layer(x), moved.weight, moved(x)]


def _pad(x: torch.Tensor, w: torch.Tensor) -> list[torch.Tensor]:
    seqs = [x[0], x[1, :2], x[2, :0]]
    lengths = torch.tensor([len(s) for s in seqs], device=x.device)
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    mask = torch.arange(padded.shape[1], device=x.device) < lengths.unsqueeze(1)
    return [padded, mask, lengths, torch.stack([s.sum() for s in seqs])]


def _values(x: torch.Tensor, w: torch.Tensor) -> list[Any]:
    h = x @ w
    rows = int((h > 0).any(1).sum())
    first = h[0].tolist()
    if not bool(torch.isfinite(h).all()):
        raise FloatingPointError
    out = torch.zeros(rows, len(first), device=h.device)
    out[0] = h[0]
    return [h.sum().item(), float(h.max()), out]


def _autograd(x: torch.Tensor, w: torch.Tensor) -> list[Any]:
    w = w.detach().clone().requires_grad_(True)
    loss = (torch.relu(x @ w) ** 2).sum()
    loss.backward()
    assert w.grad is not None
    with torch.no_grad():
        w -= 0.1 * w.grad
    w.grad.zero_()
    grad, = torch.autograd.grad((x @ w).sum(), [w])
    optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    (x @ w).sum().backward()
    optimizer.step()
    return [w, w.grad, grad, loss.item()]


CORRECT = {
    "matmul_relu_and_mask": lambda x, w: [torch.relu(x @ w), (x @ w) > 0, x.T, x[1:].clone()],
    "like_and_new": lambda x, w: [torch.zeros_like(x), x.new_zeros(3), x.new_tensor([1.0]),
                                  torch.empty_like(w).uniform_(-1, 1), torch.full_like(x, 2)],
    "factories_with_device": lambda x, w: [torch.zeros(2, device=x.device),
                                           torch.arange(3, device=w.device),
                                           torch.tensor([1, 2], device=x.device),
                                           torch.eye(2, device=DEVICE)],
    "moves": lambda x, w: [x.cpu().to(x.device), x.to(w), x.double(), x.to(torch.float64),
                           torch.as_tensor(x), torch.tensor([1.0]).to(DEVICE, torch.float16),
                           torch.ones(3).type_as(x) + x[0], torch.ones(2, dtype=torch.long)
                           .type_as(w)],
    "manual_gradients": _manual_gradients,
    "parameters_and_modules": _parameters,
    "pad_sequence_and_stack": _pad,
    "where_same_device": lambda x, w: [torch.where(x > 0, x, torch.zeros_like(x)),
                                       torch.where(x > 0, x, 0.0)],
    "value_reads": _values,
    "cpu_index_into_accelerator": lambda x, w: [x[torch.tensor([0, 2])], x[[1, 3]],
                                                x[torch.tensor([True, False, True, True])]],
    "cpu_scalar_tensor": lambda x, w: [torch.tensor(2.0) * x, x + torch.tensor(1.0),
                                       x.masked_fill(x > 0, torch.tensor(0.0))],
    "setitem_with_cpu_value": lambda x, w: _setitem(x),
    "autograd_and_optimizer": _autograd,
    "linear_layer": lambda x, w: [nn.functional.linear(x, w.T), torch.addmm(w[0], x, w)],
}


def _setitem(x: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(x)
    out[0] = torch.ones(3)
    out[1:3].copy_(torch.full((2, 3), 5.0))
    return out


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_idioms_stay_on_the_stand_in(name: str) -> None:
    result, devices = _run(CORRECT[name])
    tensors = _flatten(devices, result)
    assert tensors and all(device == DEVICE for device, _ in tensors), devices


def _flatten(devices: Any, result: Any) -> list[tuple[str, Any]]:
    if isinstance(result, torch.Tensor):
        return [(devices, result)]
    if isinstance(result, (list, tuple)):
        return [pair for d, r in zip(devices, result, strict=True) for pair in _flatten(d, r)]
    return []


def test_values_are_real_cpu_tensors() -> None:
    (total, largest, out), devices = _run(_values)
    assert isinstance(total, float) and isinstance(largest, float)
    assert type(out) is torch.Tensor and out.device.type == "cpu" and devices[2] == DEVICE
    assert out.abs().sum() > 0


def test_getters_report_the_virtual_device() -> None:
    def read(x: torch.Tensor, w: torch.Tensor) -> list[Any]:
        return [x.device, x.is_cuda, x.is_cpu, x.get_device(), x.cpu().device,
                x.cpu().get_device(), x.device == w.device]

    (device, is_cuda, is_cpu, index, cpu, cpu_index, same), _ = _run(read)
    assert (str(device), is_cuda, is_cpu, index) == (DEVICE, True, False, 1)
    assert (cpu, cpu_index, same) == (torch.device("cpu"), -1, True)


def test_devices_are_kept_after_the_block() -> None:
    with StandIn() as accelerator:
        x = torch.ones(2).to(DEVICE)
        y = x * 2
    assert accelerator.device_of(y) == torch.device(DEVICE)
    assert accelerator.device_of(torch.ones(2)) == torch.device("cpu")
    assert y.device.type == "cpu"  # outside the block: the real tensor


def test_the_original_input_stays_on_the_cpu() -> None:
    x = torch.ones(3)
    with StandIn() as accelerator:
        moved = x.to(DEVICE)
        assert x.device == torch.device("cpu") and moved.device == torch.device(DEVICE)
    assert accelerator.where([x, moved]) == ["cpu", DEVICE]


MISTAKES = {
    "hard_coded_cpu_then_mixed": lambda x, w: torch.zeros(4, 5, device="cpu") + x @ w,
    "factory_without_device": lambda x, w: torch.ones(4, 3) * x,
    "where_with_cpu_zeros": lambda x, w: torch.where(x > 0, x, torch.zeros(x.shape)),
    "cuda_is_another_device": lambda x, w: x.cuda() @ w,
    "string_cuda_is_another_device": lambda x, w: x + torch.ones(3, device="cuda"),
    "cpu_parameter_in_linear": lambda x, w: nn.Linear(3, 2)(x),
    "cat_with_cpu": lambda x, w: torch.cat([x, torch.zeros(1, 3)]),
    "inplace_into_accelerator": lambda x, w: x.add_(torch.ones(4, 3)),
    "matmul_with_moved_back": lambda x, w: x.cpu() @ w,
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mixing_devices_raises_like_cuda(name: str) -> None:
    with pytest.raises(RuntimeError, match=MIXED):
        _run(MISTAKES[name])


@pytest.mark.parametrize("code,device", [
    (lambda x, w: torch.zeros(2, 2), "cpu"),
    (lambda x, w: x.cuda(), "cuda:0"),
    (lambda x, w: x.to("cuda"), "cuda:0"),
    (lambda x, w: torch.zeros(3, device="cuda"), "cuda:0"),
    (lambda x, w: x.cpu(), "cpu"),
    (lambda x, w: torch.tensor((x @ w).sum().item()), "cpu"),
    (lambda x, w: torch.arange(int(x.shape[0])), "cpu"),
    (lambda x, w: torch.tensor([float(v) for v in x[0]]), "cpu"),
], ids=["factory", "cuda()", "to_cuda", "device_cuda", "cpu()", "rebuilt_with_item",
        "arange_without_device", "tensor_of_values"])
def test_mistakes_are_tagged_on_the_wrong_device(code: Any, device: str) -> None:
    _, found = _run(code)
    assert found == device


def test_numpy_of_an_accelerator_tensor_fails_as_on_a_gpu() -> None:
    with pytest.raises(TypeError, match="cuda:1"):
        _run(lambda x, w: x.numpy())
    result, _ = _run(lambda x, w: x.cpu().numpy())
    assert result.shape == (4, 3)


def test_zero_size_tensors_keep_their_device() -> None:
    def empty(x: torch.Tensor, w: torch.Tensor) -> list[torch.Tensor]:
        rows = torch.full((3, 0), 7, dtype=torch.long, device=x.device)
        return [rows, rows.T, torch.cat([x[0], x[0, :0]]), torch.zeros(0, device=w.device)]

    _, devices = _run(empty)
    assert devices == [DEVICE] * 4
