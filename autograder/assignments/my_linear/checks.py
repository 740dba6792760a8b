"""Checks for 02_my_linear (20 points): registration, state_dict, forward, init, devices."""

from __future__ import annotations

import math
from typing import Any

import torch

from autograder.assignments.my_linear import scenarios
from autograder.judge import assert_close, assert_like, check, expect, fail, field
from autograder.sandbox.standin import DEVICE

DEVICE_HINT = ("pass device=device, dtype=dtype to torch.empty when creating the parameters; "
               "never hard-code 'cpu' or 'cuda'.")
LAYOUT = {"weight": "(out_features, in_features)", "bias": "(out_features,)"}
SHAPE_HINT = ("compute x @ self.weight.T + self.bias: @ handles any leading dimensions, none "
              "included, and the output keeps them (no squeeze).")
VALUES_HINT = ("forward must use self.weight and self.bias as load_state_dict left them: "
               "compute x @ self.weight.T + self.bias, and never create or re-initialise "
               "parameters in forward.")


@check(points=3, part="MyLinear")
def test_parameters_registered(submission, reference):
    """weight and bias are registered nn.Parameters of the right shapes."""
    got = submission.run(scenarios.structure, in_features=7, out_features=4, bias=True)
    want = reference.run(scenarios.structure, in_features=7, out_features=4, bias=True)
    expect(field(got, "weight_is_parameter", what="the weight") is True,
           "self.weight is not an nn.Parameter, so optimizers and state_dict never see it.",
           "wrap the tensor: self.weight = nn.Parameter(torch.empty(out_features, in_features)).",
           cause="weight")
    _expect_parameters(field(got, "parameters", what="the parameters"), want["parameters"],
                       "MyLinear(7, 4)")


def _expect_parameters(got: Any, want: list[list[Any]], call: str) -> None:
    """Names, shapes and order of the registered parameters, each failure in its own words."""
    readable = isinstance(got, list) and all(
        isinstance(p, list) and len(p) == 3 and isinstance(p[0], str) for p in got)
    if not readable:  # not what named_parameters() gives: say what came instead
        assert_close(got, want, what=f"The parameters of {call} (name, shape, is a parameter)")
        return
    shapes = {name: shape for name, shape, _ in got}
    for name, shape, _ in want:
        expect(name in shapes, f"{call} registers no parameter called {name}; it registers "
               f"{sorted(shapes) or 'none'}.",
               f"assign self.{name} = nn.Parameter(...) in __init__, with exactly this name.",
               cause=name)
        expect(shapes[name] == shape,
               f"{name} has shape {_shape(shapes[name])}; {call} needs {_shape(shape)}, i.e. "
               f"{LAYOUT.get(name, 'the shape of nn.Linear')}.",
               "create it with torch.empty(out_features, in_features, ...) and use it as "
               "x @ self.weight.T in forward." if name == "weight" else
               "create it with torch.empty(out_features, ...).", cause=name)
    extra = sorted(set(shapes) - {name for name, _, _ in want})
    expect(not extra, f"{call} registers the parameters {extra}, which nn.Linear does not have.",
           "register only weight and bias: keep other tensors as plain attributes or locals.")
    expect([p[0] for p in got] == [p[0] for p in want],
           f"{call} registers its parameters in the order {[p[0] for p in got]}, not "
           f"{[p[0] for p in want]} as nn.Linear does.", "create self.weight before self.bias.")


def _shape(shape: Any) -> str:
    return str(tuple(shape)) if isinstance(shape, list) else repr(shape)


@check(points=3, part="MyLinear")
def test_state_dict_interchangeable(submission, reference, rng):
    """The state_dict loads from and into nn.Linear."""
    inputs = {"weight": torch.randn(4, 7, generator=rng), "bias": torch.randn(4, generator=rng),
              "x": torch.randn(5, 7, generator=rng)}
    got = submission.run(scenarios.state_dict_round_trip, **inputs)
    want = reference.run(scenarios.state_dict_round_trip, **inputs)
    names_hint = "use the attribute names weight and bias, shaped like nn.Linear's."
    for key, what, hint in (
            ("back_weight", "nn.Linear's weight after loading your state_dict", names_hint),
            ("back_bias", "nn.Linear's bias after loading your state_dict", names_hint),
            ("out", "MyLinear(x) after loading nn.Linear's state_dict", VALUES_HINT)):
        # The layers keep nn.Linear's default float32, so the output of a dot product of
        # seven terms may round differently by ~1e-5 (e.g. F.linear against x @ w.T + b).
        assert_close(field(got, key, what=what), want[key], what=what, rtol=1e-5, atol=1e-4,
                     hint=hint, cause="forward" if key == "out" else key[5:])


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
        out = field(got, "out", what="the output")
        if type(out) is torch.Tensor and out.shape != want["out"].shape:
            raise fail(f"MyLinear(x) {where} has shape {tuple(out.shape)} but should have "
                       f"{tuple(want['out'].shape)}.", SHAPE_HINT)
        assert_close(out, want["out"], what=f"MyLinear(x) {where}", hint=VALUES_HINT,
                     cause="forward")
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
    keys = field(got, "state_dict", what="the state_dict keys")
    missing = [k for k in want["state_dict"] if isinstance(keys, list) and k not in keys]
    expect(keys == want["state_dict"],
           f"The state_dict of MyLinear(6, 2, bias=False) should hold the keys "
           f"{want['state_dict']}, but holds {keys!r:.80}.",
           "with bias=False, register no bias (self.register_parameter('bias', None)) and "
           "keep self.weight an nn.Parameter.", cause=missing[0] if missing else "bias")
    inputs = {"weight": torch.randn(2, 6, generator=rng), "bias": None,
              "x": torch.randn(4, 6, generator=rng)}
    got = submission.run(scenarios.forward_backward, **inputs)
    want = reference.run(scenarios.forward_backward, **inputs)
    assert_close(field(got, "out", what="the output"), want["out"], rtol=1e-5, atol=1e-4,
                 what="MyLinear(x) with bias=False", hint=VALUES_HINT,
                 cause="forward")  # float32, as in the state_dict check


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
    missing = [n for n in want["registered"] if isinstance(registered, list)
               and n not in registered]
    expect(registered == want["registered"],
           f"{call} registers the parameters {registered}, not {want['registered']}.",
           "create each tensor where it belongs, torch.empty(..., device=device, dtype=dtype), "
           "and wrap that in nn.Parameter: moving a parameter afterwards, "
           "nn.Parameter(t).to(device), returns a plain tensor, which is not registered.",
           cause=missing[0] if missing else "")
    for name in ("weight", "bias"):
        device = field(got, "devices", what="the parameters' devices").get(name)
        expect(device == want["devices"][name],
               f"The {name} of {call} is on '{device}' but should be on "
               f"'{want['devices'][name]}', the device asked for (a GPU that the grader "
               "simulates).", "pass device=device to torch.empty when creating the "
               "parameters; never hard-code 'cpu' or 'cuda'.")
        dtype = field(got, "dtypes", what="the parameters' dtypes").get(name)
        expect(dtype == want["dtypes"][name],
               f"The {name} of {call} has dtype {dtype}, not {want['dtypes'][name]}.",
               "pass dtype=dtype to torch.empty when creating the parameters.")
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
