# target: 01_manual_autograd
# base: solution
# known-limitation: 01_manual_autograd/manual_gradients_without_autograd
"""Keeps autograd's engine from before the grader's guard, to use autograd where the
assignment forbids it unnoticed.

The honest part computes ``manual_gradients`` with ``torch.autograd.grad``:
correct values, but it loses the "without autograd" points, since the
sandbox swaps autograd's entry points for recorders during that check.
The attack saves the engine at import, before any guard exists, and calls
it directly. What the sandbox reports about its own calls is the
student's word: the file may score no more than without the attack.
"""
import torch


def manual_gradients(x, y, w1, w2):
    with torch.enable_grad():
        a = w1.detach().requires_grad_(True)
        b = w2.detach().requires_grad_(True)
        loss = (torch.relu(x @ a) @ b - y).pow(2).sum()
        return torch.autograd.grad(loss, (a, b))


# --- attack ---
from torch.autograd.variable import Variable  # noqa: E402

_ENGINE = Variable._execution_engine


def manual_gradients(x, y, w1, w2):  # noqa: F811 - the attack replaces the honest one
    with torch.enable_grad():
        a = w1.detach().requires_grad_(True)
        b = w2.detach().requires_grad_(True)
        loss = (torch.relu(x @ a) @ b - y).pow(2).sum()
        grads = _ENGINE.run_backward((loss,), (torch.ones_like(loss),), False, False, (a, b),
                                     False, False)
    return tuple(grad.to(x.device) for grad in grads)
