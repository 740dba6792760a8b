# target: 02_my_linear
# base: stub
# expect: failed
"""Rewrites the sandbox's own request loop so that every call answers "ok".

At import the student module replaces ``autograder.sandbox.worker._call``
(and the error path) with functions that return a well-formed success
with zeros of every plausible name. The sandbox is assumed compromised
once student code runs: the judge sees only data, compares it with the
reference and finds zeros.
"""
import torch

from autograder.sandbox import worker


def _fake_call(module, scenario, args):
    zeros = torch.zeros(1)
    return {"ok": True, "value": {"out": zeros, "grad_x": zeros, "grads": {}, "weight": zeros,
                                  "bias": zeros, "parameters": [], "state_dict": [],
                                  "bias_is_none": False, "weight_is_parameter": True}}


worker._call = _fake_call
worker._error = lambda phase, error, path: {"ok": True, "value": None}
