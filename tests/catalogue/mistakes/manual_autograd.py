"""Mistakes in 01_manual_autograd: hand gradients and the SGD step."""

from __future__ import annotations

from autograder.catalogue import Mistake, Replace, Solution, fails

A = "01_manual_autograd"

ZERO = "    w1.grad.zero_()\n    w2.grad.zero_()\n"
GRAD_H = "        grad_h = (grad_y_pred @ w2.T) * (h > 0)\n"

MISTAKES = [
    Mistake(
        name="update_not_in_place", assignment=A,
        edits=(Replace("        w1 -= lr * w1.grad\n        w2 -= lr * w2.grad\n",
                       "        w1 = w1 - lr * w1.grad\n        w2 = w2 - lr * w2.grad\n"),),
        # The new w1 is no leaf: its .grad is None, so zeroing it raises in every call.
        fails=fails(A, "sgd_step_in_place", "sgd_step_returns_loss",
                    "sgd_step_zeroes_gradients", "train"),
        feedback="makes a new tensor",
        forbidden_hints=("requires_grad_(False)",)),
    Mistake(
        name="weights_lose_requires_grad", assignment=A,
        edits=(Replace(ZERO, "    w1.grad = None\n    w2.grad = None\n"
                             "    w1.requires_grad_(False)\n    w2.requires_grad_(False)\n"),),
        fails=fails(A, "sgd_step_in_place", "sgd_step_zeroes_gradients", "train"),
        feedback="leaf tensor with requires_grad=True",
        forbidden_hints=("makes a new tensor",)),
    Mistake(
        name="gradients_never_zeroed", assignment=A,
        edits=(Replace(ZERO, ""),),
        fails=fails(A, "sgd_step_zeroes_gradients", "train"),
        feedback="should be zero (or None)",
        forbidden_hints=("makes a new tensor",)),
    Mistake(
        name="loss_returned_as_tensor", assignment=A,
        edits=(Replace("    return loss.item()", "    return loss"),),
        fails=fails(A, "sgd_step_returns_loss", "train"),
        feedback="should return a Python float",
        forbidden_hints=("not one computed after it",)),
    Mistake(
        name="missing_relu_mask", assignment=A,
        edits=(Replace("(grad_y_pred @ w2.T) * (h > 0)", "(grad_y_pred @ w2.T)"),),
        fails=fails(A, "manual_gradients", "manual_gradients_without_autograd"),
        feedback="without the ReLU mask",
        forbidden_hints=("the factor 2",)),
    Mistake(
        name="autograd_in_manual_gradients", assignment=A,
        edits=(Solution("manual_gradients", """
with torch.enable_grad():
    a = w1.detach().requires_grad_()
    b = w2.detach().requires_grad_()
    loss = sse_loss(two_layer_forward(x, a, b), y)
    grad_w1, grad_w2 = torch.autograd.grad(loss, [a, b])
return grad_w1, grad_w2
"""),),
        fails=fails(A, "manual_gradients_without_autograd"),
        feedback="without autograd",
        forbidden_hints=("without the ReLU mask",)),
    Mistake(
        name="mean_instead_of_sum", assignment=A,
        edits=(Replace("return (y_pred - y).pow(2).sum()", "return (y_pred - y).pow(2).mean()"),),
        # sgd_step and train are graded with the reference forward and loss.
        fails=fails(A, "sse_loss"),
        feedback="not a mean"),
    # Harmless for a batch of seven samples; drops the batch dimension of one.
    Mistake(
        name="forward_squeezed", assignment=A,
        edits=(Replace("    return torch.relu(x @ w1) @ w2\n",
                       "    return (torch.relu(x @ w1) @ w2).squeeze()\n"),),
        fails=fails(A, "forward"),
        feedback="a batch of one is still a batch",
        forbidden_hints=("ReLU on the hidden layer only",)),
    # Right on a CPU; on a GPU the zeros stay on the CPU and x.T @ grad_h mixes devices.
    Mistake(
        name="gradient_buffer_without_device", assignment=A,
        edits=(Replace(GRAD_H, "        grad_h = torch.zeros(h.shape, dtype=h.dtype)\n"
                               "        grad_h[h > 0] = (grad_y_pred @ w2.T)[h > 0]\n"),),
        fails=fails(A, "device_and_dtype"),
        feedback="found at least two devices, cuda:1 and cpu"),
    # The tutorial's module-level device: "cpu" here, "cuda" (cuda:0) on a GPU machine,
    # where the inputs may be on another GPU.
    Mistake(
        name="module_level_device", assignment=A,
        edits=(Replace("import torch\nfrom torch import Tensor\n",
                       "import torch\nfrom torch import Tensor\n\n"
                       "device = torch.device(\"cuda\" if torch.cuda.is_available() "
                       "else \"cpu\")\n"),
               Replace(GRAD_H, "        grad_h = torch.where(h > 0, grad_y_pred @ w2.T, "
                               "torch.zeros(h.shape, device=device, dtype=h.dtype))\n")),
        fails=fails(A, "device_and_dtype"),
        feedback="a hard-coded 'cpu' or 'cuda'"),
    # A float read back into a new tensor: right value, but on the CPU.
    Mistake(
        name="loss_rebuilt_on_cpu", assignment=A,
        edits=(Replace("    return (y_pred - y).pow(2).sum()\n",
                       "    return torch.tensor(((y_pred - y) ** 2).sum().item(), "
                       "dtype=y.dtype)\n"),),
        fails=fails(A, "device_and_dtype"),
        feedback="sse_loss's result is on 'cpu' but should be on 'cuda:1'",
        forbidden_hints=("two_layer_forward's output is on",)),
    # .cuda() fails on a machine without CUDA, and lands on cuda:0 on one with it.
    Mistake(
        name="forward_hard_codes_cuda", assignment=A,
        edits=(Replace("    return torch.relu(x @ w1) @ w2\n",
                       "    return torch.relu(x.cuda() @ w1.cuda()) @ w2.cuda()\n"),),
        fails=fails(A, "forward", "device_and_dtype"),
        feedback="is on 'cuda:0' but should be on 'cuda:1'",
        forbidden_hints=("sse_loss's result is on",)),
]

# Real mistakes that the checks do not catch yet (graded as strict xfails, so
# that the day a check catches one, the test says to move it to MISTAKES).
UNCAUGHT = [
    # Without torch.no_grad(), the hand-derived gradients of weights that require
    # grad carry an autograd graph, which the docstring rules out ("the results
    # never carry a graph"); the values are right, so nothing fails.
    Mistake(
        name="gradients_carry_a_graph", assignment=A,
        edits=(Replace("    with torch.no_grad():  # plain arithmetic: no graph is needed or "
                       "wanted\n", "    if True:\n"),),
        fails=fails(A, "manual_gradients"),
        feedback="graph"),
]
