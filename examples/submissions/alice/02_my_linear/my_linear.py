# Alice's MyLinear: correct.
import math

import torch
from torch import nn


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        k = 1 / math.sqrt(in_features)
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **kw).uniform_(-k, k))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **kw).uniform_(-k, k))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        y = torch.matmul(x, self.weight.t())
        return y if self.bias is None else y + self.bias
