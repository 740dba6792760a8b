"""Manual autograd: forward, hand-derived gradients and SGD"""

from __future__ import annotations

from autograder.registry import Assignment

ASSIGNMENT = Assignment(
    name="01_manual_autograd",
    module="manual_autograd",
    title="Manual autograd: forward, hand-derived gradients and SGD",
    package=__name__,
    goals=(
        "Write the forward pass of a two-layer ReLU network and its sum-of-squares loss.",
        "Derive the gradients by hand with the chain rule, including the ReLU mask.",
        "Update parameters in place under torch.no_grad() and zero their gradients."
    ),
    hints=(
        "Keep the intermediates of the forward pass (`h = x @ w1`, `h_relu`, `y_pred`): "
        "the backward pass walks back through them in reverse order.",
        "A gradient always has the shape of the tensor it belongs to: `grad_w1` is "
        "`(D_in, H)` like `w1`. Print shapes while you derive.",
        "ReLU lets the gradient through only where its input was positive: multiply by "
        "the mask `(h > 0)`.",
        "`w1 = w1 - lr * w1.grad` builds a new tensor and the caller's `w1` never "
        "changes: update in place (`-=`) inside `with torch.no_grad():`.",
        "`backward()` adds into `.grad` instead of overwriting it: zero the gradients "
        "after each update, or the next step uses the sum of both.",
    ),
)
