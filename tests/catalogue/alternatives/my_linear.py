"""Correct alternatives for 02_my_linear."""

from __future__ import annotations

from autograder.catalogue import Alternative, Replace, Solution

A = "02_my_linear"

RESET = """    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
"""

ALTERNATIVES = [
    Alternative(
        name="f_linear", assignment=A, why="forward with F.linear",
        edits=(Solution("forward",
                        "return torch.nn.functional.linear(x, self.weight, self.bias)"),)),
    Alternative(
        name="nn_init_uniform_and_matmul", assignment=A,
        why="nn.init.uniform_, factory_kwargs, torch.matmul + bias",
        edits=(Solution("__init__", """
super().__init__()
factory = {"device": device, "dtype": dtype}
self.in_features, self.out_features = in_features, out_features
self.weight = nn.Parameter(torch.empty((out_features, in_features), **factory))
self.bias = nn.Parameter(torch.empty(out_features, **factory)) if bias else None
bound = 1 / math.sqrt(in_features)
nn.init.uniform_(self.weight, -bound, bound)
if self.bias is not None:
    nn.init.uniform_(self.bias, -bound, bound)
"""), Solution("forward", """
out = torch.matmul(x, self.weight.t())
return out if self.bias is None else out + self.bias
"""))),
    # nn.Linear's own code, plus an input guard that reads a value (SPEC §2: legitimate).
    Alternative(
        name="nn_linear_reset_parameters_with_guard", assignment=A,
        why="factory_kwargs, reset_parameters with kaiming_uniform_, bool(isfinite) guard",
        edits=(Solution("__init__", """
super().__init__()
factory_kwargs = {"device": device, "dtype": dtype}
self.in_features = in_features
self.out_features = out_features
self.weight = nn.Parameter(torch.empty((out_features, in_features), **factory_kwargs))
if bias:
    self.bias = nn.Parameter(torch.empty(out_features, **factory_kwargs))
else:
    self.register_parameter("bias", None)
self.reset_parameters()
"""), Solution("forward", """
if not bool(torch.isfinite(x).all()):
    raise ValueError(f"MyLinear got non-finite inputs (largest {x.abs().max().item()})")
return torch.nn.functional.linear(x, self.weight, self.bias)
"""), Replace("    def forward(self, x: Tensor) -> Tensor:\n", RESET))),
]
