"""MyLinear: a drop-in nn.Linear with nn.Parameter"""

from __future__ import annotations

from autograder.registry import Assignment

ASSIGNMENT = Assignment(
    name="02_my_linear",
    module="my_linear",
    title="MyLinear: a drop-in nn.Linear with nn.Parameter",
    package=__name__,
    goals=(
        "Register learnable tensors as nn.Parameter so optimizers and state_dict see them.",
        "Initialise weights like nn.Linear and create them on the requested device and dtype.",
        "Write a forward pass that works for any leading batch dimensions."
    ),
)
