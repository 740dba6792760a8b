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
)
