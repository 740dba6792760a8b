"""Checks for 02_my_linear (20 points): registration, state_dict, forward, init, devices."""

from __future__ import annotations

import math

import torch

from autograder.assignments.my_linear import scenarios
from autograder.judge import assert_close, check, expect, field


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
        assert_close(field(got, key, what=what), want[key], what=what,
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
    assert_close(field(got, "out", what="the output"), want["out"],
                 what="MyLinear(x) with bias=False")


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
def test_device_and_dtype(submission, reference):
    """device= and dtype= create the parameters there directly."""
    args = {"device": "meta", "dtype": "float64"}
    got = submission.run(scenarios.on_device, **args)
    want = reference.run(scenarios.on_device, **args)
    expect(field(got, "registered", what="the parameters") == want["registered"],
           f"With device='meta', the registered parameters are {got['registered']}, not "
           f"{want['registered']}.",
           "nn.Parameter(t).to(device) returns a plain tensor, not a parameter: create the "
           "tensor on the device first, torch.empty(..., device=device, dtype=dtype), then "
           "wrap it in nn.Parameter.")
    for key in ("weight", "bias", "out"):
        assert_close(field(got, key, what=f"the {key}"), want[key],
                     what=f"The {key} of MyLinear(5, 3, device='meta', dtype=torch.float64)",
                     hint="pass device=device, dtype=dtype to torch.empty when creating "
                          "the parameters.")
