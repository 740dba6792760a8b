"""Comparisons that explain themselves: the only way checks judge student data.

Every helper raises :class:`CheckFailure` with one or two sentences a beginner
can act on: what was expected, what came, where the largest error is, and a
hint. Tensors must be exactly :class:`torch.Tensor` (the protocol guarantees
it for sandbox data); tolerances follow :func:`torch.testing.assert_close`'s
per-dtype defaults.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import torch


class CheckFailure(AssertionError):
    """A check's verdict: the student's data is wrong. ``str()`` is the feedback."""


@dataclass(frozen=True)
class Spread:
    """How far one compared value was from the reference, next to what the check allows.

    Attributes:
        what: The compared quantity, as the check names it to students.
        error: The largest absolute difference seen.
        ratio: The largest difference divided by the tolerance at that element:
            under 1 passes, 1 is the limit. ``inf`` for an exact value that differs.
    """

    what: str
    error: float
    ratio: float


_observed: ContextVar[list[Spread] | None] = ContextVar("torchgrade_observed", default=None)


@contextmanager
def observing() -> Iterator[list[Spread]]:
    """Collects the :class:`Spread` of every tolerance comparison made inside the block.

    The conditioning audit (:mod:`autograder.judge.audit`) reads how close a
    perturbed reference came to each check's tolerance; grading ignores it.
    """
    seen: list[Spread] = []
    token = _observed.set(seen)
    try:
        yield seen
    finally:
        _observed.reset(token)


def _observe(what: str, error: float, ratio: float) -> None:
    seen = _observed.get()
    if seen is not None:
        seen.append(Spread(what, error, ratio))


def fail(message: str, hint: str = "") -> CheckFailure:
    """Builds the failure to raise, with the hint appended."""
    return CheckFailure(f"{message} Hint: {hint}" if hint else message)


def expect(condition: bool, message: str, hint: str = "") -> None:
    """Fails with ``message`` unless ``condition`` holds."""
    if not condition:
        raise fail(message, hint)


_CHANGED = ("what the check records was changed on the way (e.g. by patching torch or the "
            "grader), so this check cannot be graded.")


class Answer(dict):  # type: ignore[type-arg]
    """A scenario's result as a student's sandbox sent it back.

    Scenarios are trusted code, but they run beside student code, which can
    patch them; so a key the scenario always sets may still be missing. Reading
    a missing key fails the check (``got["out"]`` as well as :func:`field`),
    instead of stopping the grader.
    """

    def __missing__(self, key: Any) -> Any:
        raise fail(f"The grader's record {key!r} did not come back from your code: {_CHANGED}")


def field(result: Any, key: str, *, what: str) -> Any:
    """``result[key]`` from a scenario's dict, failing clearly when it is absent."""
    if not isinstance(result, dict):
        raise fail(f"The grader got {_kind(result)} back from your code instead of its record "
                   f"of {what}: {_CHANGED}")
    if key not in result:
        raise fail(f"The grader's record of {what} ({key!r}) did not come back from your "
                   f"code: {_CHANGED}")
    return result[key]


def assert_close(got: Any, want: Any, *, what: str, hint: str = "",
                 rtol: float | None = None, atol: float | None = None) -> None:
    """Fails unless ``got`` matches the reference value ``want``.

    Tensors are compared for type, device, dtype, shape and then values;
    Python floats must be floats (not tensors) and close; other plain values
    must be equal, element by element for lists, tuples and dicts.
    """
    with torch._C.DisableTorchFunction():  # comparisons need no torch function modes
        _assert_close(got, want, what=what, hint=hint, rtol=rtol, atol=atol)


def _assert_close(got: Any, want: Any, *, what: str, hint: str,
                  rtol: float | None, atol: float | None) -> None:
    if isinstance(want, torch.Tensor):
        _tensor_close(got, want, what, hint, rtol, atol)
    elif isinstance(want, float):
        _float_close(got, want, what, hint, rtol, atol)
    elif isinstance(want, (list, tuple)):
        _expect_type(got, type(want), what, hint)
        expect(len(got) == len(want),
               f"{what} should have {len(want)} entries but has {len(got)}.", hint)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_close(g, w, what=f"{what}[{i}]", hint=hint, rtol=rtol, atol=atol)
    elif isinstance(want, dict):
        _expect_type(got, dict, what, hint)
        expect(set(got) == set(want),
               f"{what} should have the keys {sorted(want)} but has {sorted(got)}.", hint)
        for key in want:
            _assert_close(got[key], want[key], what=f"{what}[{key!r}]", hint=hint,
                          rtol=rtol, atol=atol)
    else:
        expect(type(got) is type(want) and got == want,
               f"{what} should be {want!r} but is {_show(got)}.", hint)


def assert_like(got: Any, want: Any, *, what: str, hint: str = "") -> None:
    """Fails unless ``got`` has the kind, dtype and shape of ``want``; values are not compared.

    For checks about where and how results are made (devices, dtypes), whose
    values other checks grade: one mistake should cost its own check only.
    """
    if isinstance(want, torch.Tensor):
        if type(got) is not torch.Tensor:
            raise fail(f"{what} should be a tensor but is {_kind(got)}.", hint)
        expect(got.dtype == want.dtype,
               f"{what} has dtype {got.dtype} but should have {want.dtype}.", hint)
        expect(got.shape == want.shape, f"{what} has shape {tuple(got.shape)} but should "
                                        f"have {tuple(want.shape)}.", hint)
    elif isinstance(want, (list, tuple)):
        expect(isinstance(got, (list, tuple)) and len(got) == len(want),
               f"{what} should be a {type(want).__name__} of {len(want)} but is "
               f"{_kind(got)}.", hint)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_like(g, w, what=f"{what}[{i}]", hint=hint)


def _expect_type(got: Any, kind: type, what: str, hint: str) -> None:
    exact = type(got) is kind or (kind is dict and type(got) is Answer)
    expect(exact, f"{what} should be a {kind.__name__} but is {_kind(got)}.", hint)


def _float_close(got: Any, want: float, what: str, hint: str,
                 rtol: float | None, atol: float | None) -> None:
    if isinstance(got, torch.Tensor):
        raise fail(f"{what} should be a Python float but is a tensor.",
                   "convert a 0-dim tensor with .item()." if not hint else hint)
    _expect_type(got, float, what, hint)
    rel, abs_ = (1.3e-6 if rtol is None else rtol), (1e-5 if atol is None else atol)
    same_nan = math.isnan(got) and math.isnan(want)
    error = 0.0 if same_nan or got == want else abs(got - want)
    error = math.inf if math.isnan(error) else error
    allowed = max(rel * max(abs(got), abs(want)), abs_)
    _observe(what, error, error / allowed if allowed > 0 else (math.inf if error else 0.0))
    expect(same_nan or math.isclose(got, want, rel_tol=rel, abs_tol=abs_),
           f"{what} should be about {want:.6g} but is {got:.6g}.", hint)


def _tensor_close(got: Any, want: torch.Tensor, what: str, hint: str,
                  rtol: float | None, atol: float | None) -> None:
    if type(got) is not torch.Tensor:
        raise fail(f"{what} should be a tensor but is {_kind(got)}.", hint)
    if got.device.type != want.device.type:
        raise fail(f"{what} is on device '{got.device}' but should be on '{want.device}', "
                   "the device of the inputs.",
                   "create new tensors with device=... of an input, or move them with "
                   ".to(device); never hard-code 'cpu' or 'cuda'.")
    if got.dtype != want.dtype:
        raise fail(f"{what} has dtype {got.dtype} but should have {want.dtype}.",
                   hint or "keep the dtype of the inputs; avoid creating float32 tensors "
                   "by default, use dtype=x.dtype.")
    if got.shape != want.shape:
        raise fail(f"{what} has shape {tuple(got.shape)} but should have "
                   f"{tuple(want.shape)}.", hint)
    if "meta" in (got.device.type, want.device.type):
        raise fail(f"{what} has no values (it is on the 'meta' device), so it cannot be "
                   "compared.", hint)
    got, want = got.detach().cpu(), want.detach().cpu()
    rtol, atol = _tolerances(got, want, rtol, atol)
    if _observed.get() is not None:
        _observe_tensors(got, want, what, rtol, atol)
    try:
        torch.testing.assert_close(got, want, rtol=rtol, atol=atol, equal_nan=True)
    except AssertionError:
        raise fail(_describe_mismatch(got, want, what, rtol, atol), hint) from None


def _tolerances(got: torch.Tensor, want: torch.Tensor, rtol: float | None,
                atol: float | None) -> tuple[float, float]:
    """The check's tolerances, or :func:`torch.testing.assert_close`'s for the dtype."""
    default_rtol, default_atol = torch.testing._comparison.default_tolerances(got, want)
    return (default_rtol if rtol is None else rtol), (default_atol if atol is None else atol)


def _observe_tensors(got: torch.Tensor, want: torch.Tensor, what: str, rtol: float,
                     atol: float) -> None:
    if got.numel() == 0:
        _observe(what, 0.0, 0.0)
    elif not (got.dtype.is_floating_point or got.dtype.is_complex):
        differs = not torch.equal(got, want)
        _observe(what, float(differs), math.inf if differs else 0.0)
    else:
        g, w = got.to(torch.complex128 if got.is_complex() else torch.float64), \
            want.to(torch.complex128 if want.is_complex() else torch.float64)
        both_nan = g.isnan() & w.isnan()
        error = torch.where(both_nan, 0.0, (g - w).abs().nan_to_num(math.inf))
        ratio = error / (atol + rtol * w.abs())
        _observe(what, float(error.max()), float(ratio.nan_to_num(math.inf).max()))


def _describe_mismatch(got: torch.Tensor, want: torch.Tensor, what: str,
                       rtol: float, atol: float) -> str:
    if got.dtype.is_floating_point or got.dtype.is_complex:
        bad = ~torch.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        error = torch.where(bad, (got.double() - want.double()).abs().nan_to_num(math.inf),
                            torch.zeros((), dtype=torch.float64))
    else:
        bad = got != want
        error = bad.double()
    flat = int(error.reshape(-1).argmax()) if error.numel() else 0
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), got.shape))
    where = f"at index {index}" if index else "in its value"
    worst = f"the largest error is {float(error.reshape(-1)[flat]):.3g} " if (
        got.dtype.is_floating_point) else ""
    return (f"{what} does not match the reference: {int(bad.sum())} of {got.numel()} values "
            f"differ; {worst}{where}: expected {_item(want, index)}, got {_item(got, index)}.")


def _item(tensor: torch.Tensor, index: tuple[int, ...]) -> str:
    value = tensor[index].item() if tensor.numel() else None
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
