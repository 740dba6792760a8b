"""Scenarios for 01_manual_autograd: run inside the sandbox on the student's module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch.autograd.variable import Variable

from autograder.sandbox.standin import StandIn


class AutogradUsed(RuntimeError):
    """Raised by the stand-ins for autograd's entry points while they are patched."""


def forward(mod: Any, x: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor, device: str
            ) -> dict[str, Any]:
    """``two_layer_forward`` on inputs moved to ``device``."""
    out = mod.two_layer_forward(x.to(device), w1.to(device), w2.to(device))
    return {"out": _detached(out)}


def loss(mod: Any, y_pred: torch.Tensor, y: torch.Tensor, device: str) -> dict[str, Any]:
    """``sse_loss`` on inputs moved to ``device``."""
    return {"loss": _detached(mod.sse_loss(y_pred.to(device), y.to(device)))}


def on_device(mod: Any, x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor,
              w2: torch.Tensor, device: str) -> dict[str, Any]:
    """Forward, loss and hand-derived gradients with every input on the stand-in ``device``.

    The values come back as CPU tensors and, under ``devices``, the device
    each result would be on (see :mod:`autograder.sandbox.standin`). The loss
    is taken of the grader's own forward pass, so that a device mistake in
    ``two_layer_forward`` is reported there, not in ``sse_loss``.
    """
    with StandIn() as accelerator:
        x, y, w1, w2 = (t.to(device) for t in (x, y, w1, w2))
        out = mod.two_layer_forward(x, w1, w2)
        value = mod.sse_loss(torch.relu(x @ w1) @ w2, y)
        grads = mod.manual_gradients(x, y, w1, w2)
    return {"out": _detached(out), "loss": _detached(value), "grads": _detached(grads),
            "devices": accelerator.where({"out": out, "loss": value, "grads": grads})}


def gradients(mod: Any, x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor,
              device: str, requires_grad: bool, no_grad: bool, guarded: bool
              ) -> dict[str, Any]:
    """``manual_gradients``, optionally under ``torch.no_grad()`` and with autograd disabled.

    With ``guarded``, ``Tensor.backward``, ``torch.autograd.backward``,
    ``torch.autograd.grad`` and the engine behind them are replaced for the
    duration of the call by stand-ins that record the call and raise; they are
    restored afterwards whatever happens. ``used_autograd`` says whether any
    of them was called.
    """
    x, y = x.to(device), y.to(device)
    w1, w2 = (w.to(device).detach().clone().requires_grad_(requires_grad) for w in (w1, w2))
    calls: list[str] = []
    try:
        with (_autograd_disabled(calls) if guarded else contextlib.nullcontext()), (
                torch.no_grad() if no_grad else contextlib.nullcontext()):
            grads = mod.manual_gradients(x, y, w1, w2)
    except Exception:
        if not calls:
            raise
        grads = None
    if calls:
        return {"used_autograd": True, "autograd_calls": sorted(set(calls)), "grads": None}
    return {"used_autograd": False, "autograd_calls": [], "grads": _detached(grads)}


def sgd_steps(mod: Any, x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor,
              lr: float, steps: int, device: str) -> dict[str, Any]:
    """``steps`` calls of ``sgd_step`` on fresh leaves, with their state after each call.

    Verdicts on values (did the weights change, are the gradients zero) are
    left to the judge: a submission may have patched torch functions here.
    """
    x, y = x.to(device), y.to(device)
    w1, w2 = (w.to(device).detach().clone().requires_grad_(True) for w in (w1, w2))
    pointers = [w1.data_ptr(), w2.data_ptr()]
    losses, types, grads = [], [], []
    for _ in range(steps):
        with _given_forward_and_loss(mod), _explaining_failed_update(w1, w2):
            value = mod.sgd_step(x, y, w1, w2, lr)
        losses.append(_plain(value))
        types.append(type(value).__name__)
        # Snapshots: the next backward() may accumulate into the same .grad storage.
        grads.append([None if w.grad is None else w.grad.detach().clone() for w in (w1, w2)])
    return {
        "losses": losses,
        "loss_types": types,
        "grads": grads,
        "w1": w1.detach().clone(),
        "w2": w2.detach().clone(),
        "same_storage": [w.data_ptr() == p for w, p in zip((w1, w2), pointers, strict=True)],
        "is_leaf": [w1.is_leaf, w2.is_leaf],
        "requires_grad": [w1.requires_grad, w2.requires_grad],
    }


def train(mod: Any, x: torch.Tensor, y: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor,
          lr: float, iterations: int, device: str) -> dict[str, Any]:
    """``train`` on fresh leaves: the losses it returns and the weights it leaves."""
    x, y = x.to(device), y.to(device)
    w1, w2 = (w.to(device).detach().clone().requires_grad_(True) for w in (w1, w2))
    with _given_forward_and_loss(mod), _explaining_failed_update(w1, w2):
        result = mod.train(x, y, w1, w2, lr, iterations)
    items = list(result) if isinstance(result, (list, tuple)) else []
    return {
        "result_type": type(result).__name__,
        "losses": [_plain(v) for v in items],
        "loss_types": [type(v).__name__ for v in items],
        "w1": w1.detach().clone(),
        "w2": w2.detach().clone(),
    }


@contextlib.contextmanager
def _autograd_disabled(calls: list[str]) -> Iterator[None]:
    """Replaces autograd's entry points by recorders that raise, restoring them after."""

    def stand_in(name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AutogradUsed(f"{name} must not be used in manual_gradients")
        return refuse

    class Engine:
        def __getattr__(self, name: str) -> Any:
            return stand_in("the autograd engine")

    patches = [(torch.Tensor, "backward", stand_in("Tensor.backward()")),
               (torch.autograd, "backward", stand_in("torch.autograd.backward")),
               (torch.autograd, "grad", stand_in("torch.autograd.grad")),
               (Variable, "_execution_engine", Engine())]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


@contextlib.contextmanager
def _given_forward_and_loss(mod: Any) -> Iterator[None]:
    """Lends the student's module the forward and loss that SPEC spells out.

    ``sgd_step`` and ``train`` are graded on what they add (backward, the
    in-place update, zeroing, the loop): a mistake in ``two_layer_forward`` or
    ``sse_loss`` costs the points of their own checks, not these too.
    """
    names = ("two_layer_forward", "sse_loss")
    saved = {name: mod.__dict__[name] for name in names if name in mod.__dict__}
    mod.two_layer_forward = lambda x, w1, w2: torch.relu(x @ w1) @ w2
    mod.sse_loss = lambda y_pred, y: (y_pred - y).pow(2).sum()
    try:
        yield
    finally:
        for name in names:
            if name in saved:
                setattr(mod, name, saved[name])
            else:
                delattr(mod, name)


@contextlib.contextmanager
def _explaining_failed_update(w1: torch.Tensor, w2: torch.Tensor) -> Iterator[None]:
    """Adds a note to an error raised after ``backward()`` ran but before the update.

    The classic way there is ``w1 = w1 - lr * w1.grad`` followed by
    ``w1.grad.zero_()``: the new tensor has no ``.grad``, so the error a
    student sees says nothing about the update that never reached ``w1``.
    """
    before = [w1.detach().clone(), w2.detach().clone()]
    try:
        yield
    except Exception as error:
        stuck = w1.grad is not None and any(
            torch.equal(w.detach(), b) for w, b in zip((w1, w2), before, strict=True))
        if stuck and not isinstance(error, NotImplementedError):
            note = ("By then backward() had run but w1 and w2 were not updated: inside "
                    "torch.no_grad(), write w1 -= lr * w1.grad (w1 = w1 - ... makes a new "
                    "tensor)")
            try:
                error.args = (f"{str(error).rstrip('. ')}. {note}",)
            except Exception:  # noqa: BLE001 - an exception type with odd args
                pass
        raise


def _plain(value: Any) -> Any:
    """A returned loss as data: tensors detached, floats as Python floats, others by type."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, float):
        return float(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return f"<{type(value).__name__}>"


def _detached(value: Any) -> Any:
    """Tensors detached (recursively through tuples and lists); anything else by type name."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return f"<{type(value).__name__}>"
