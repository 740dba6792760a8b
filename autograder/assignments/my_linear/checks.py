"""Checks for 02_my_linear (20 points): registration, state_dict, forward, init, devices."""

from __future__ import annotations

import math

import torch

from autograder.assignments.my_linear import scenarios
from autograder.judge import assert_close, assert_like, check, expect, field
from autograder.sandbox.standin import DEVICE

DEVICE_HINT = ("pass device=device, dtype=dtype to torch.empty when creating the parameters; "
               "never hard-code 'cpu' or 'cuda'.")


@check(points=3, part="MyLinear")
def test_parameters_registered(submission, reference):
    """weight and bias are registered nn.Parameters of the right shapes."""
    got = submission.run(scenarios.structure, in_features=7, out_features=4, bias=True)
    want = reference.run(scenarios.structure, in_features=7, out_features=4, bias=True)
    expect(field(got, "weight_is_parameter", what="the weight") is True,
           "self.weight is not an nn.Parameter, so optimizers and state_dict never see it.",
           "wrap the tensor: self.weight = nn.Parameter(torch.empty(out_features, in_features)).")
    assert_close(field(got, "parameters", what="the parameters"), want["parameters"],
                 what="The list of (name, shape, is_parameter) from named_parameters()",
                 hint="weight has shape (out_features, in_features), bias (out_features,).")


@check(points=3, part="MyLinear")
def test_state_dict_interchangeable(submission, reference, rng):
    """The state_dict loads from and into nn.Linear."""
    inputs = {"weight": torch.randn(4, 7, generator=rng), "bias": torch.randn(4, generator=rng),
              "x": torch.randn(5, 7, generator=rng)}
    got = submission.run(scenarios.state_dict_round_trip, **inputs)
    want = reference.run(scenarios.state_dict_round_trip, **inputs)
    for key, what in (("back_weight", "nn.Linear's weight after loading your state_dict"),
                      ("back_bias", "nn.Linear's bias after loading your state_dict"),
                      ("out", "MyLinear(x) after loading nn.Linear's state_dict")):
        # The layers keep nn.Linear's default float32, so the output of a dot product of
        # seven terms may round differently by ~1e-5 (e.g. F.linear against x @ w.T + b).
        assert_close(field(got, key, what=what), want[key], what=what, rtol=1e-5, atol=1e-4,
                     hint="use the attribute names weight and bias, shaped like nn.Linear's.")


@check(points=4, part="MyLinear")
def test_forward_and_gradients(submission, reference, rng):
    """MyLinear(x) and its gradients match nn.Linear for leading batch dimensions."""
    weights = {"weight": torch.randn(3, 6, generator=rng, dtype=torch.float64),
               "bias": torch.randn(3, generator=rng, dtype=torch.float64)}
    # Two leading dimensions, a batch of one, and a single unbatched vector.
    for shape in ((2, 5, 6), (1, 6), (6,)):
        inputs = {**weights, "x": torch.randn(shape, generator=rng, dtype=torch.float64)}
        got = submission.run(scenarios.forward_backward, **inputs)
        want = reference.run(scenarios.forward_backward, **inputs)
        where = f"for x of shape {shape}"
        assert_close(field(got, "out", what="the output"), want["out"],
                     what=f"MyLinear(x) {where}",
                     hint="compute x @ self.weight.T + self.bias: @ handles any leading "
                          "dimensions, none included, and the output keeps them (no squeeze).")
        assert_close(field(got, "grads", what="the gradients"), want["grads"],
                     what=f"The parameter gradients {where}",
                     hint="use the registered parameters in forward, not copies of them.")
        assert_close(field(got, "grad_x", what="the input gradient"), want["grad_x"],
                     what=f"The gradient with respect to x {where}")


@check(points=3, part="MyLinear")
def test_without_bias(submission, reference, rng):
    """bias=False: self.bias is None, no bias in state_dict, forward still right."""
    structure = {"in_features": 6, "out_features": 2, "bias": False}
    got = submission.run(scenarios.structure, **structure)
    want = reference.run(scenarios.structure, **structure)
    expect(field(got, "bias_is_none", what="the bias") is True,
           "With bias=False, self.bias should be None.",
           "call self.register_parameter('bias', None) instead of creating a bias.")
    assert_close(got["state_dict"], want["state_dict"], what="The state_dict keys")
    inputs = {"weight": torch.randn(2, 6, generator=rng), "bias": None,
              "x": torch.randn(4, 6, generator=rng)}
    got = submission.run(scenarios.forward_backward, **inputs)
    want = reference.run(scenarios.forward_backward, **inputs)
    assert_close(field(got, "out", what="the output"), want["out"], rtol=1e-5, atol=1e-4,
                 what="MyLinear(x) with bias=False")  # float32, as in the state_dict check


@check(points=3, part="MyLinear")
def test_initialisation(submission, seed):
    """Weights and bias are drawn uniformly from (-1/sqrt(in), 1/sqrt(in))."""
    got = submission.run(scenarios.initial_values, in_features=64, out_features=48,
                         seed=seed)
    bound = 1 / math.sqrt(64)
    for key in ("weight", "bias"):
        values = field(got, key, what=f"the {key}")
        expect(type(values) is torch.Tensor and values.dtype.is_floating_point,
               f"The {key} should be a floating-point tensor.")
        expect(bool((values.abs() <= bound).all()),
               f"Some {key} values are outside (-{bound:g}, {bound:g}).",
               "draw with uniform_(-b, b) where b = 1 / math.sqrt(in_features).")
        std = float(values.double().std())
        expect(abs(std - bound / math.sqrt(3)) < 0.25 * bound / math.sqrt(3),
               f"The {key} values do not look uniform on (-b, b): their spread is {std:.3g}, "
               f"about {bound / math.sqrt(3):.3g} was expected.",
               "every value must be drawn at random, none left at 0 or 1.")


@check(points=4, part="MyLinear")
def test_device_and_dtype(submission, reference, rng):
    """device= and dtype= create the parameters there directly; forward runs there."""
    call = f"MyLinear(5, 3, device='{DEVICE}', dtype=torch.float64)"
    args = {"in_features": 5, "out_features": 3, "device": DEVICE, "dtype": "float64"}
    got = submission.run(scenarios.created_on_device, **args)
    want = reference.run(scenarios.created_on_device, **args)
    registered = field(got, "registered", what="the parameters")
    expect(registered == want["registered"],
           f"{call} registers the parameters {registered}, not {want['registered']}.",
           "nn.Parameter(t).to(device) returns a plain tensor, not a parameter: create the "
           "tensor on the device first, torch.empty(..., device=device, dtype=dtype), then "
           "wrap it in nn.Parameter.")
    for name in ("weight", "bias"):
        device = field(got, "devices", what="the parameters' devices").get(name)
        expect(device == want["devices"][name],
               f"The {name} of {call} is on '{device}' but should be on "
               f"'{want['devices'][name]}', the device asked for (a GPU that the grader "
               "simulates).", DEVICE_HINT)
        dtype = field(got, "dtypes", what="the parameters' dtypes").get(name)
        expect(dtype == want["dtypes"][name],
               f"The {name} of {call} has dtype {dtype}, not {want['dtypes'][name]}.",
               DEVICE_HINT)
    inputs = {"weight": torch.randn(3, 5, generator=rng, dtype=torch.float64),
              "bias": torch.randn(3, generator=rng, dtype=torch.float64),
              "x": torch.randn(2, 5, generator=rng, dtype=torch.float64), "device": DEVICE}
    got = submission.run(scenarios.forward_on_device, **inputs)
    want = reference.run(scenarios.forward_on_device, **inputs)
    device = field(got, "device", what="the output's device")
    expect(device is None or device == want["device"],
           f"The output of {call} for x on '{DEVICE}' is on '{device}', not "
           f"'{want['device']}'.", "compute it from x and the parameters, with no tensor "
           "created on a hard-coded device.")
    # Where and how, not the values: test_forward_and_gradients grades those.
    assert_like(field(got, "out", what="the output"), want["out"],
                what=f"The output of {call} for x of shape (2, 5) on '{DEVICE}'",
                hint=DEVICE_HINT)
