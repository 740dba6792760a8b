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
    hints=(
        "Call `super().__init__()` first: `nn.Module` sets up the bookkeeping that "
        "registers parameters.",
        "Only `nn.Parameter` attributes are learnable: a plain tensor attribute is "
        "invisible to `parameters()`, the optimizer and `state_dict()`.",
        "Compare with the real thing: `nn.Linear(3, 2).state_dict()` shows the keys and "
        "shapes your layer must have (the weight is `(out_features, in_features)`).",
        "Try your layer on inputs of shape `(5, 3)` and `(2, 5, 3)`: `@` handles any "
        "leading batch dimensions.",
        "Create the tensors with `device=` and `dtype=` directly; "
        "`nn.Parameter(t).to(device)` returns a plain tensor, not a parameter.",
    ),
)
