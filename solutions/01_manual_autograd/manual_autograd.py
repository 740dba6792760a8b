"""Assignment 01: backpropagation by hand, then with autograd.

You will learn how the chain rule turns a forward pass into gradients, check
your hand-derived gradients against what autograd computes, and write the
classic SGD update correctly: in place, without tracking, with the gradients
zeroed afterwards.

The network is ``y_pred = relu(x @ w1) @ w2`` with the sum-of-squares loss
``(y_pred - y).pow(2).sum()``. Shapes used throughout:

* ``x``: ``(N, D_in)``, ``y``: ``(N, D_out)``
* ``w1``: ``(D_in, H)``, ``w2``: ``(H, D_out)``
"""

from __future__ import annotations

import torch
from torch import Tensor


def two_layer_forward(x: Tensor, w1: Tensor, w2: Tensor) -> Tensor:
    """Runs the two-layer network forward.

    Args:
        x: Inputs, shape ``(N, D_in)``.
        w1: First-layer weights, shape ``(D_in, H)``.
        w2: Second-layer weights, shape ``(H, D_out)``.

    Returns:
        Predictions ``relu(x @ w1) @ w2``, shape ``(N, D_out)``, on the device
        and with the dtype of the inputs.
    """
    ### BEGIN SOLUTION
    return torch.relu(x @ w1) @ w2
    ### END SOLUTION


def sse_loss(y_pred: Tensor, y: Tensor) -> Tensor:
    """Computes the sum-of-squares error.

    Args:
        y_pred: Predictions, shape ``(N, D_out)``.
        y: Targets, same shape as ``y_pred``.

    Returns:
        The 0-dim tensor ``sum((y_pred - y) ** 2)``. It is a *sum*, not a mean,
        which matters for its gradient.
    """
    ### BEGIN SOLUTION
    return (y_pred - y).pow(2).sum()
    ### END SOLUTION


def manual_gradients(x: Tensor, y: Tensor, w1: Tensor, w2: Tensor) -> tuple[Tensor, Tensor]:
    """Computes ``d loss / d w1`` and ``d loss / d w2`` with the chain rule only.

    Deriving them is the exercise: redo the forward pass keeping every
    intermediate result, then go backwards from the loss, one chain-rule step
    per operation of the forward pass. On the way you need the gradient of
    the loss with respect to

    * ``y_pred``, shape ``(N, D_out)``;
    * ``w2``, shape ``(H, D_out)``;
    * the hidden layer after the ReLU and before it, both ``(N, H)`` (mind
      what ReLU does where its input was negative);
    * ``w1``, shape ``(D_in, H)``.

    Every gradient has the shape of the tensor it is the gradient of: when the
    shapes of a product do not fit, a transpose is missing or misplaced.

    Args:
        x: Inputs, shape ``(N, D_in)``.
        y: Targets, shape ``(N, D_out)``.
        w1: First-layer weights, shape ``(D_in, H)``.
        w2: Second-layer weights, shape ``(H, D_out)``.

    Returns:
        ``(grad_w1, grad_w2)`` with the shapes, device and dtype of ``w1`` and
        ``w2``. No autograd is used (no ``backward()``, no
        ``torch.autograd.grad``), so this works under ``torch.no_grad()`` and
        for tensors that do not require grad; the results never carry a graph.
    """
    ### BEGIN SOLUTION
    with torch.no_grad():  # plain arithmetic: no graph is needed or wanted
        h = x @ w1
        h_relu = h.clamp(min=0)
        y_pred = h_relu @ w2
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T @ grad_y_pred
        grad_h = (grad_y_pred @ w2.T) * (h > 0)
        grad_w1 = x.T @ grad_h
    return grad_w1, grad_w2
    ### END SOLUTION


def sgd_step(x: Tensor, y: Tensor, w1: Tensor, w2: Tensor, lr: float) -> float:
    """Takes one gradient-descent step, letting autograd compute the gradients.

    Forward, loss, ``backward()``, then update the weights **in place** under
    ``torch.no_grad()`` and zero their gradients.

    Pitfalls:
        * ``w1 = w1 - lr * w1.grad`` builds a *new*, non-leaf tensor: the
          caller's ``w1`` never changes and the next ``backward()`` fills no
          ``.grad`` on it. Update in place (``-=`` or ``sub_``) instead.
        * The update itself must not be tracked, hence ``torch.no_grad()``
          (an in-place op on a leaf that requires grad is an error otherwise).
        * ``backward()`` *accumulates* into ``.grad``; zero it after the update
          or the next step adds the old gradient again.

    Args:
        x: Inputs, shape ``(N, D_in)``.
        y: Targets, shape ``(N, D_out)``.
        w1: Leaf tensor ``(D_in, H)`` with ``requires_grad=True``.
        w2: Leaf tensor ``(H, D_out)`` with ``requires_grad=True``.
        lr: Learning rate.

    Returns:
        The loss *before* the update, as a Python float.
    """
    ### BEGIN SOLUTION
    loss = sse_loss(two_layer_forward(x, w1, w2), y)
    loss.backward()
    with torch.no_grad():
        w1 -= lr * w1.grad
        w2 -= lr * w2.grad
    w1.grad.zero_()
    w2.grad.zero_()
    return loss.item()
    ### END SOLUTION


def train(x: Tensor, y: Tensor, w1: Tensor, w2: Tensor, lr: float, iterations: int) -> list[float]:
    """Runs ``iterations`` calls of :func:`sgd_step` on the same data.

    Args:
        x: Inputs, shape ``(N, D_in)``.
        y: Targets, shape ``(N, D_out)``.
        w1: Leaf tensor ``(D_in, H)`` with ``requires_grad=True``; updated in place.
        w2: Leaf tensor ``(H, D_out)`` with ``requires_grad=True``; updated in place.
        lr: Learning rate.
        iterations: Number of steps.

    Returns:
        One loss per iteration (each taken before that iteration's update).
    """
    ### BEGIN SOLUTION
    return [sgd_step(x, y, w1, w2, lr) for _ in range(iterations)]
    ### END SOLUTION
