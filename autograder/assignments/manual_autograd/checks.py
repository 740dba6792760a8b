"""Checks for 01_manual_autograd (20 points): forward, loss, hand gradients, SGD, training."""

from __future__ import annotations

import math
from typing import Any

import torch

from autograder.assignments.manual_autograd import scenarios
from autograder.judge import assert_close, assert_like, check, expect, fail, field
from autograder.sandbox.standin import DEVICE

# N, D_in, H, D_out: all different, so that transposed or swapped shapes cannot pass.
SIZES = (7, 5, 9, 3)
LR = 0.0123
MASK_HINT = ("ReLU passes the gradient only where it was active: multiply grad_h_relu by the "
             "mask (h > 0), where h = x @ w1, before grad_w1 = x.T @ grad_h.")
IN_PLACE_HINT = ("update the tensors the caller passed, in place, inside torch.no_grad(): "
                 "w1 -= lr * w1.grad (or w1.sub_(lr * w1.grad)); w1 = w1 - lr * w1.grad only "
                 "makes a new tensor that the caller never sees.")
DEVICE_HINT = ("create new tensors on the inputs' device (device=x.device, torch.zeros_like(h)) "
               "or from the inputs (x @ w1, (h > 0)); never hard-code 'cpu' or 'cuda'.")
ZERO_HINT = ("backward() adds into .grad: after the update, zero the gradients with "
             "w1.grad.zero_() and w2.grad.zero_() (or set them to None).")


def _network(rng: torch.Generator, dtype: torch.dtype = torch.float64,
             samples: int | None = None) -> dict[str, Any]:
    """Inputs where about half the pre-activations are negative and none is near 0."""
    n, d_in, hidden, d_out = SIZES
    n = n if samples is None else samples
    for _ in range(100):
        x = torch.randn(n, d_in, generator=rng, dtype=dtype)
        w1 = torch.randn(d_in, hidden, generator=rng, dtype=dtype) / math.sqrt(d_in)
        pre = x @ w1
        negative = float((pre < 0).double().mean())
        if float(pre.abs().min()) > 1e-2 and 0.3 <= negative <= 0.7:
            break
    w2 = torch.randn(hidden, d_out, generator=rng, dtype=dtype) / math.sqrt(hidden)
    y = torch.randn(n, d_out, generator=rng, dtype=dtype)
    return {"x": x, "y": y, "w1": w1, "w2": w2}


def _changed(got: Any, start: torch.Tensor) -> bool:
    """Whether a returned weight differs from where it started (unknown: assume it did)."""
    if type(got) is not torch.Tensor or got.shape != start.shape or got.device.type == "meta":
        return True  # assert_close explains what is wrong with it
    return not torch.equal(got.detach().cpu(), start.to(got.dtype))


def _cleared(grad: Any) -> bool:
    """A gradient counts as zeroed when it is None or all zeros."""
    return grad is None or (type(grad) is torch.Tensor and grad.device.type != "meta"
                            and not bool(grad.detach().cpu().count_nonzero()))


def _both(submission: Any, reference: Any, scenario: Any, **args: Any) -> tuple[Any, Any]:
    return submission.run(scenario, **args), reference.run(scenario, **args)


@check(points=2, part="two_layer_forward")
def test_forward(submission, reference, rng, device):
    """two_layer_forward computes relu(x @ w1) @ w2 and keeps the dtype."""
    for dtype in (torch.float64, torch.float32):
        net = _network(rng, dtype)
        got, want = _both(submission, reference, scenarios.forward, x=net["x"], w1=net["w1"],
                          w2=net["w2"], device=str(device))
        # float32: two chained products round differently by up to ~1e-5 (another order).
        loose = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {}
        assert_close(field(got, "out", what="the output"), want["out"], **loose,
                     what=f"two_layer_forward(x, w1, w2) for {dtype} inputs",
                     hint="compute torch.relu(x @ w1) @ w2 with the inputs as they are: "
                          "ReLU on the hidden layer only, and no dtype conversion.")
    net = _network(rng, samples=1)
    got, want = _both(submission, reference, scenarios.forward, x=net["x"], w1=net["w1"],
                      w2=net["w2"], device=str(device))
    assert_close(field(got, "out", what="the output"), want["out"],
                 what="two_layer_forward(x, w1, w2) for a batch of one sample, x of shape "
                      f"{tuple(net['x'].shape)}",
                 hint="a batch of one is still a batch: the output has shape (1, D_out), so "
                      "do not squeeze any dimension away.")


@check(points=2, part="sse_loss")
def test_sse_loss(submission, reference, rng, device):
    """sse_loss is the 0-dim sum of squared errors."""
    args = {"y_pred": torch.randn(7, 3, generator=rng, dtype=torch.float64),
            "y": torch.randn(7, 3, generator=rng, dtype=torch.float64), "device": str(device)}
    got, want = _both(submission, reference, scenarios.loss, **args)
    assert_close(field(got, "loss", what="the loss"), want["loss"],
                 what="sse_loss(y_pred, y) for float64 inputs of shape (7, 3)",
                 hint="return (y_pred - y).pow(2).sum(): a sum over every element (not a mean), "
                      "which is a 0-dim tensor; keep it a tensor (no .item()).")


@check(points=2, part="manual_gradients")
def test_device_and_dtype(submission, reference, rng):
    """Forward, loss and gradients stay on the device of the inputs (a stand-in GPU)."""
    net = _network(rng)
    got, want = _both(submission, reference, scenarios.on_device, **net, device=DEVICE)
    devices = field(got, "devices", what="the devices of the results")
    for key, index, what in (("out", None, "two_layer_forward's output"),
                             ("loss", None, "sse_loss's result"),
                             ("grads", 0, "manual_gradients' grad_w1"),
                             ("grads", 1, "manual_gradients' grad_w2")):
        value, device = field(got, key, what=what), _entry(devices, key)
        expected, expected_device = want[key], want["devices"][key]
        if index is not None:
            if not (isinstance(value, (tuple, list)) and len(value) == 2):
                raise _not_a_pair(value)
            value, device = value[index], _entry(device, index)
            expected, expected_device = expected[index], expected_device[index]
        expect(device is None or device == expected_device,
               f"{what} is on '{device}' but should be on '{expected_device}', the device of "
               "the inputs (a GPU that the grader simulates).", DEVICE_HINT)
        # Where and how, not the values: those are other checks' points.
        assert_like(value, expected, what=f"{what} for float64 inputs on '{DEVICE}'",
                    hint=DEVICE_HINT)


def _entry(devices: Any, key: str | int) -> Any:
    """One entry of the reported devices, None when absent (assert_close then explains)."""
    try:
        return devices[key]
    except (KeyError, IndexError, TypeError):
        return None


def _check_gradients(got: Any, want: tuple[Any, Any], net: dict[str, Any], setting: str
                     ) -> None:
    grads = field(got, "grads", what="the gradients")
    if not (isinstance(grads, (tuple, list)) and len(grads) == 2):
        raise _not_a_pair(grads)
    assert_close(grads[1], want[1], what=f"grad_w2 {setting}",
                 hint="grad_w2 = relu(h).T @ grad_y_pred with grad_y_pred = 2 * (y_pred - y): "
                      "the factor 2 comes from the square.")
    unmasked = _unmasked_grad_w1(net)
    forgot_mask = (type(grads[0]) is torch.Tensor and grads[0].shape == unmasked.shape
                   and grads[0].device.type != "meta"
                   and torch.allclose(grads[0].detach().cpu().double(), unmasked))
    expect(not forgot_mask or torch.allclose(unmasked, want[0].detach().cpu().double()),
           f"grad_w1 {setting} is the gradient without the ReLU mask.", MASK_HINT,
           cause="ReLU mask")
    assert_close(grads[0], want[0], what=f"grad_w1 {setting}", hint=MASK_HINT)


def _not_a_pair(grads: Any) -> Exception:
    """The failure for gradients that are not a pair (their repr is built only then)."""
    return fail(f"manual_gradients should return a tuple (grad_w1, grad_w2) but returned "
                f"{grads!r:.60}.", "return grad_w1, grad_w2")


def _unmasked_grad_w1(net: dict[str, Any]) -> torch.Tensor:
    """The classic wrong grad_w1 that skips the ReLU mask: only used to word a hint."""
    x, y, w1, w2 = (net[k].double() for k in ("x", "y", "w1", "w2"))
    grad_y_pred = 2 * ((x @ w1).clamp(min=0) @ w2 - y)
    return x.T @ (grad_y_pred @ w2.T)


@check(points=3, part="manual_gradients")
def test_manual_gradients(submission, reference, rng, device):
    """manual_gradients matches the true gradients, ReLU mask included."""
    net = _network(rng)
    got, want = _both(submission, reference, scenarios.gradients, **net, device=str(device),
                      requires_grad=True, no_grad=False, guarded=False)
    _check_gradients(got, want["grads"], net, "for float64 inputs")


@check(points=2, part="manual_gradients")
def test_manual_gradients_without_autograd(submission, reference, rng, device):
    """manual_gradients uses no autograd and works under torch.no_grad()."""
    net = _network(rng)
    for requires_grad, no_grad, setting in (
            (True, True, "under torch.no_grad()"),
            (False, False, "for inputs that do not require grad")):
        got, want = _both(submission, reference, scenarios.gradients, **net, device=str(device),
                          requires_grad=requires_grad, no_grad=no_grad, guarded=True)
        calls = field(got, "autograd_calls", what="the autograd calls")
        expect(field(got, "used_autograd", what="whether autograd was used") is False,
               f"manual_gradients called {', '.join(map(str, calls))} {setting}; it must "
               "derive the gradients by hand with the chain rule, without autograd.",
               "redo the forward pass keeping h, relu(h) and y_pred, then go backwards with "
               "plain tensor operations, starting from grad_y_pred = 2 * (y_pred - y).")
        _check_gradients(got, want["grads"], net, setting)


@check(points=3, part="sgd_step")
def test_sgd_step_in_place(submission, reference, rng, device):
    """sgd_step updates w1 and w2 in place; they stay leaves that require grad."""
    net = _network(rng)
    got, want = _both(submission, reference, scenarios.sgd_steps, **net, lr=LR, steps=1,
                      device=str(device))
    for i, name in enumerate(("w1", "w2")):
        expect(_changed(field(got, name, what=f"the updated {name}"), net[name]),
               f"After sgd_step the caller's {name} still holds its old values.", IN_PLACE_HINT)
        expect(field(got, "same_storage", what="the weights' storage")[i] is True,
               f"sgd_step gave {name} new storage (its data_ptr() changed) instead of "
               "updating it in place.", IN_PLACE_HINT)
        expect(field(got, "is_leaf", what="the weights' leaf state")[i] is True
               and field(got, "requires_grad", what="the weights' requires_grad")[i] is True,
               f"After sgd_step {name} should still be a leaf tensor with requires_grad=True.",
               "do the update inside torch.no_grad() and do not detach or "
               "requires_grad_(False) the weights.")
        assert_close(field(got, name, what=f"the updated {name}"), want[name],
                     what=f"{name} after one sgd_step(x, y, w1, w2, lr={LR})",
                     hint=f"the update is {name} -= lr * {name}.grad, with the gradients "
                          "of sse_loss(two_layer_forward(x, w1, w2), y).")


@check(points=2, part="sgd_step")
def test_sgd_step_returns_loss(submission, reference, rng, device):
    """sgd_step returns the loss before the update as a Python float."""
    net = _network(rng)
    got, want = _both(submission, reference, scenarios.sgd_steps, **net, lr=LR, steps=1,
                      device=str(device))
    kind = field(got, "loss_types", what="the type of the returned loss")[0]
    expect(isinstance(field(got, "losses", what="the returned loss")[0], float),
           f"sgd_step should return a Python float but returned a {kind}.",
           "return loss.item(), which turns the 0-dim loss tensor into a float.")
    assert_close(got["losses"][0], want["losses"][0], what="The loss sgd_step returned",
                 hint="return the loss computed by the forward pass before the update "
                      "(loss.item()), not one computed after it.")


@check(points=2, part="sgd_step")
def test_sgd_step_zeroes_gradients(submission, reference, rng, device):
    """sgd_step zeroes the gradients, so a second step is right too."""
    net = _network(rng)
    got, want = _both(submission, reference, scenarios.sgd_steps, **net, lr=LR, steps=2,
                      device=str(device))
    for name in ("w1", "w2"):
        expect(_changed(field(got, name, what=f"the updated {name}"), net[name]),
               f"After two calls of sgd_step the caller's {name} still holds its old values.",
               IN_PLACE_HINT)
    grads = field(got, "grads", what="the gradients after each step")
    expect(isinstance(grads, list) and len(grads) == 2
           and all(isinstance(step, list) and all(_cleared(g) for g in step) for step in grads),
           "After sgd_step, w1.grad and w2.grad should be zero (or None).", ZERO_HINT)
    for name in ("w1", "w2"):
        assert_close(field(got, name, what=f"the updated {name}"), want[name],
                     what=f"{name} after two calls of sgd_step", hint=ZERO_HINT)


@check(points=2, part="train")
def test_train(submission, reference, rng, device):
    """train returns one float loss per iteration and leaves the trained weights."""
    net = _network(rng)
    iterations = 6
    got, want = _both(submission, reference, scenarios.train, **net, lr=LR,
                      iterations=iterations, device=str(device))
    kind = field(got, "result_type", what="the type of train's result")
    expect(kind == "list", f"train should return a list of floats but returned a {kind}.",
           "collect each sgd_step's loss in a list and return it.")
    losses = field(got, "losses", what="the losses")
    expect(len(losses) == iterations,
           f"train(..., iterations={iterations}) should return {iterations} losses but "
           f"returned {len(losses)}.", "call sgd_step exactly `iterations` times.")
    for name in ("w1", "w2"):
        assert_close(field(got, name, what=f"the trained {name}"), want[name],
                     what=f"{name} after train(..., iterations={iterations})",
                     hint="call sgd_step(x, y, w1, w2, lr) `iterations` times on the caller's "
                          "w1 and w2; if an sgd_step check fails, fix that first.")
    kinds = field(got, "loss_types", what="the types of the losses")
    for i, (kind, value) in enumerate(zip(kinds, losses, strict=False)):
        expect(isinstance(value, float),
               f"train should return Python floats, but loss {i} is a {kind}.",
               "make sgd_step return loss.item().")
    assert_close(losses, want["losses"], what="The losses train returned",
                 hint="append the loss each sgd_step returns, in order.")
