"""``assert_close`` on tensors decides as ``torch.testing.assert_close`` does, value for value."""

from __future__ import annotations

import math

import pytest
import torch

from autograder.judge.compare import CheckFailure, assert_close

INF, NAN = math.inf, math.nan
CASES = [  # (got, want, rtol, atol)
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]), None, None),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]), None, None),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.001]), None, None),
    (torch.tensor([NAN, 1.0]), torch.tensor([NAN, 1.0]), None, None),
    (torch.tensor([NAN]), torch.tensor([1.0]), None, None),
    (torch.tensor([INF, -INF]), torch.tensor([INF, -INF]), None, None),
    (torch.tensor([INF]), torch.tensor([-INF]), None, None),
    (torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0 + 1e-9], dtype=torch.float64),
     None, None),
    (torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0 + 1e-6], dtype=torch.float64),
     None, None),
    (torch.tensor([1.0]), torch.tensor([1.05]), 0.1, 0.0),
    (torch.tensor([1.0]), torch.tensor([1.05]), 0.01, 0.0),
    (torch.tensor([0.0]), torch.tensor([1e-3]), 0.0, 1e-2),
    (torch.tensor([3, 4]), torch.tensor([3, 4]), None, None),
    (torch.tensor([3, 4]), torch.tensor([3, 5]), None, None),
    (torch.tensor([True, False]), torch.tensor([True, False]), None, None),
    (torch.tensor([True, False]), torch.tensor([True, True]), None, None),
    (torch.zeros(0, 3), torch.zeros(0, 3), None, None),
    (torch.tensor([1 + 1j]), torch.tensor([1 + 1.0000001j]), None, None),
    (torch.tensor([1 + 1j]), torch.tensor([1 + 2j]), None, None),
]


@pytest.mark.parametrize(("got", "want", "rtol", "atol"), CASES)
def test_the_verdict_is_torch_testings(got, want, rtol, atol):
    try:
        torch.testing.assert_close(got, want, rtol=rtol, atol=atol, equal_nan=True)
        expected = True
    except AssertionError:
        expected = False
    try:
        assert_close(got, want, what="the value", rtol=rtol, atol=atol)
        verdict = True
    except CheckFailure:
        verdict = False
    assert verdict is expected
