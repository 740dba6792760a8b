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

from autograder.judge.figures import attach_error_map


class CheckFailure(AssertionError):
    """A check's verdict: the student's data is wrong. ``str()`` is the feedback.

    Attributes:
        statement: What is wrong, without the hint: what a later check quotes
            when it fails for the same reason.
        cause: Names the student's quantity at fault (``"weight"``), or "". A
            later failure of the same part with the same cause refers back to
            this one instead of repeating it (:mod:`autograder.judge.causes`).
    """

    def __init__(self, message: str, hint: str = "", *, cause: str = "") -> None:
        super().__init__(f"{message} Hint: {hint}" if hint else message)
        self.statement = message
        self.cause = cause


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


def fail(message: str, hint: str = "", *, cause: str = "") -> CheckFailure:
    """Builds the failure to raise, with the hint appended (``cause``: see CheckFailure)."""
    return CheckFailure(message, hint, cause=cause)


def expect(condition: bool, message: str, hint: str = "", *, cause: str = "") -> None:
    """Fails with ``message`` unless ``condition`` holds."""
    if not condition:
        raise fail(message, hint, cause=cause)


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
                 rtol: float | None = None, atol: float | None = None,
                 cause: str = "") -> None:
    """Fails unless ``got`` matches the reference value ``want``.

    Tensors are compared for type, device, dtype, shape and then values;
    Python floats must be floats (not tensors) and close; other plain values
    must be equal, element by element for lists, tuples and dicts. An element
    is named in words ("entry 0 of 'train_loss' in ``what``"), never by an
    index path a beginner cannot read. ``cause``: see :class:`CheckFailure`.
    """
    with torch._C.DisableTorchFunction():  # comparisons need no torch function modes
        try:
            _assert_close(got, want, what=what, path=(), hint=hint, rtol=rtol, atol=atol)
        except CheckFailure as failure:
            failure.cause = failure.cause or cause
            raise


def _assert_close(got: Any, want: Any, *, what: str, path: tuple[Any, ...], hint: str,
                  rtol: float | None, atol: float | None) -> None:
    name = element(what, path)
    if isinstance(want, torch.Tensor):
        _tensor_close(got, want, name, hint, rtol, atol)
    elif isinstance(want, float):
        _float_close(got, want, name, hint, rtol, atol)
    elif isinstance(want, (list, tuple)):
        _expect_type(got, type(want), name, hint)
        expect(len(got) == len(want), _length_differs(name, got, want), hint)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_close(g, w, what=what, path=(*path, i), hint=hint, rtol=rtol, atol=atol)
    elif isinstance(want, dict):
        _expect_type(got, dict, name, hint)
        expect(set(got) == set(want), _keys_differ(name, got, want), hint)
        for key in want:
            _assert_close(got[key], want[key], what=what, path=(*path, key), hint=hint,
                          rtol=rtol, atol=atol)
    else:
        expect(type(got) is type(want) and got == want,
               f"{name} should be {want!r} but is {_show(got)}.", hint)


def assert_like(got: Any, want: Any, *, what: str, hint: str = "", cause: str = "") -> None:
    """Fails unless ``got`` has the kind, dtype and shape of ``want``; values are not compared.

    For checks about where and how results are made (devices, dtypes), whose
    values other checks grade: one mistake should cost its own check only.
    """
    try:
        _assert_like(got, want, name=what, hint=hint)
    except CheckFailure as failure:
        failure.cause = failure.cause or cause
        raise


def _assert_like(got: Any, want: Any, *, name: str, hint: str) -> None:
    if isinstance(want, torch.Tensor):
        if type(got) is not torch.Tensor:
            raise fail(f"{name} should be a tensor but is {_kind(got)}.", hint)
        expect(got.dtype == want.dtype,
               f"{name} has dtype {got.dtype} but should have {want.dtype}.", hint)
        expect(got.shape == want.shape, f"{name} has shape {tuple(got.shape)} but should "
                                        f"have {tuple(want.shape)}.", hint)
    elif isinstance(want, (list, tuple)):
        expect(isinstance(got, (list, tuple)) and len(got) == len(want),
               f"{name} should be a {type(want).__name__} of {count(len(want), 'value')} but "
               f"is {_kind(got)}.", hint)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_like(g, w, name=element(name, (i,)), hint=hint)


def element(what: str, path: tuple[Any, ...]) -> str:
    """Names an element of ``what`` in words: ``entry 0 of 'train_loss' in the history``."""
    if not path:
        return what
    parts = [f"entry {key}" if isinstance(key, int) else repr(key) for key in reversed(path)]
    text = f"{' of '.join(parts)} in {_lowered(what)}"
    return text[0].upper() + text[1:]


def _lowered(what: str) -> str:
    """``what`` inside a sentence: a leading article in lower case."""
    first, _, rest = what.partition(" ")
    return f"{first.lower()} {rest}" if rest and first in ("The", "A", "An") else what


def count(number: int, noun: str) -> str:
    """``1 entry``, ``0 entries``, ``3 values``: the noun agrees with the number."""
    if number == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else (
        noun + "es" if noun.endswith(("s", "x", "ch", "sh")) else noun + "s")
    return f"{number} {plural}"


def _length_differs(name: str, got: Any, want: Any) -> str:
    """Says what a list of the wrong length holds, or how long it is when too long to show."""
    plain = (str, int, float, bool, type(None))
    if all(isinstance(v, plain) for v in (*got, *want)) and len(repr(got) + repr(want)) < 120:
        return f"{name} should be {want!r} but is {got!r}."
    return f"{name} should have {count(len(want), 'entry')} but has {len(got)}."


def _keys_differ(name: str, got: dict[Any, Any], want: dict[Any, Any]) -> str:
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    parts = ([f"lacks the {_keys(missing)}"] if missing else []) + (
        [f"has the unexpected {_keys(extra)}"] if extra else [])
    return f"{name} {' and '.join(parts)}."


def _keys(keys: list[Any]) -> str:
    shown = [repr(k) for k in keys[:5]] + ([f"{len(keys) - 5} more"] if len(keys) > 5 else [])
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return ("key " if len(keys) == 1 else "keys ") + listed


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
    # torch.testing.assert_close's test, without its first call's import of the
    # distributed package (DTensor; most of a second): these are plain CPU tensors
    # of one dtype and shape by now.
    if not bool(torch.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True).all()):
        attach_error_map(title=what, got=got, want=want, rtol=rtol, atol=atol)  # HTML feedback
        raise fail(_describe_mismatch(got, want, what, rtol, atol), hint)


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
        wide = torch.complex128 if got.is_complex() else torch.float64
        error = torch.where(bad, (got.to(wide) - want.to(wide)).abs().nan_to_num(math.inf),
                            torch.zeros((), dtype=torch.float64))
    else:
        bad = got != want
        error = bad.double()
    flat = int(error.reshape(-1).argmax()) if error.numel() else 0
    index = _unravel(flat, tuple(got.shape))
    if got.numel() == 1:
        return (f"{what} does not match the reference: expected {_item(want, index)}, "
                f"got {_item(got, index)}.")
    worst = f"the largest error is {float(error.reshape(-1)[flat]):.3g} " if (
        got.dtype.is_floating_point) else ""
    differ = int(bad.sum())
    return (f"{what} does not match the reference: {differ} of {count(got.numel(), 'value')} "
            f"{'differs' if differ == 1 else 'differ'}; {worst}at index {index}: "
            f"expected {_item(want, index)}, got {_item(got, index)}.")


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index of element ``flat`` of a row-major tensor of ``shape``.

    As ``torch.unravel_index``, whose argument checks import torch's symbolic
    shapes (and sympy), half a second at a judge's first mismatch.
    """
    index = []
    for size in reversed(shape):
        flat, position = divmod(flat, size) if size else (flat, 0)
        index.append(position)
    return tuple(reversed(index))


def _item(tensor: torch.Tensor, index: tuple[int, ...]) -> str:
    value = tensor[index].item() if tensor.numel() else None
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if type(value) in (list, tuple):
        return f"a {type(value).__name__} of {count(len(value), 'value')}"
    return "None" if value is None else f"a {type(value).__name__}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
