# target: 02_my_linear
# base: stub
# expect: not_implemented
"""Replaces torch's comparison functions with ones that always agree.

A grader that compared tensors in the process running student code would
then pass anything. torchgrade compares in the judge, which never imports
student code, so these patches change nothing there: the stub still earns
nothing.
"""
import torch
import torch.testing


def _always(*args, **kwargs):
    return True


def _never_complain(*args, **kwargs):
    return None


torch.allclose = torch.equal = torch.isclose = _always
torch.Tensor.allclose = torch.Tensor.equal = _always
torch.testing.assert_close = _never_complain
torch.testing.assert_allclose = _never_complain
