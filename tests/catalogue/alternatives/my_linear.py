"""Correct alternatives for 02_my_linear."""

from __future__ import annotations

from autograder.catalogue import Alternative, Solution

A = "02_my_linear"

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
]
