# target: 02_my_linear
# base: stub
# known-limitation: 02_my_linear/device_and_dtype
"""Patches the grader's stand-in accelerator, inside the sandbox, to say every tensor is on
the device asked for.

The honest part is a correct ``MyLinear`` that ignores ``device=``: it
loses the device points. The attack makes the stand-in (which runs in the
sandbox, beside student code, and reports devices to the judge) say that
every tensor is on the accelerator, hoping to earn those points back. The
judge must not take the sandbox's word for more than the data earns: with
the patch, the file may score no more than without it.
"""
import torch
from torch import nn


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        bound = 1.0 / in_features ** 0.5
        self.weight = nn.Parameter(torch.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, x):
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias


# --- attack ---
from autograder.sandbox import standin  # noqa: E402

standin.StandIn._device = lambda self, tensor: torch.device(standin.DEVICE)
