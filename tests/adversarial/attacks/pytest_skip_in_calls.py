# target: 02_my_linear
# base: stub
# expect: error
"""Calls ``pytest.skip`` and ``pytest.xfail`` from the student's code, hoping a skipped
check does not count against it.

A skip raised by student code is the student's error: the check ends with
status ``error`` and earns no points.
"""
import pytest
import torch


class MyLinear(torch.nn.Module):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        pytest.skip("nothing to grade here")

    def forward(self, x):
        pytest.xfail("expected to fail anyway")
