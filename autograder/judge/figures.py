"""Pictures for the feedback: small, plain data that a check attaches to its result.

A check calls :func:`attach_curves` (e.g. a loss per epoch, the student's
against the reference's), and :func:`autograder.judge.compare.assert_close`
calls :func:`attach_error_map` when two matrices differ. While a check runs,
the grading plugin collects what was attached (:func:`collecting`) into the
check's result (``CheckResult.data``, see :func:`as_data`), and the HTML
feedback (:mod:`autograder.results.html`) draws it.

What is attached comes from student code, so it is handled as untrusted:
values become plain floats (``None`` where not a finite number), sizes are
capped (a few hundred floats per picture), text is cut short, and nothing
here raises: a picture that cannot be made is left out, and a check's
verdict never depends on it. Outside a grading session attaching does nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import torch

FIGURES = "figures"
"""The key of ``CheckResult.data`` that holds a check's pictures (a list of dicts)."""
MAX_FIGURES = 4
MAX_SERIES = 8
MAX_POINTS = 200
MAP_CELLS = 16
"""An error map has at most this many cells per side; larger matrices are pooled."""
MAP_ELEMENTS = 65_536
"""Matrices with more elements than this get no error map (modest sizes only)."""
EXCERPT_ROWS, EXCERPT_COLS = 4, 6
MAX_TEXT = 200

_collected: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "torchgrade_figures", default=None)


@contextmanager
def collecting() -> Iterator[list[dict[str, Any]]]:
    """Collects every picture attached inside the block (at most :data:`MAX_FIGURES`)."""
    figures: list[dict[str, Any]] = []
    token = _collected.set(figures)
    try:
        yield figures
    finally:
        _collected.reset(token)


def as_data(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``CheckResult.data`` that carries ``figures``: empty when there are none."""
    return {FIGURES: list(figures[:MAX_FIGURES])} if figures else {}


def attach_curves(*, title: str, x_label: str, y_label: str, got: Any,
                  want: Mapping[str, Any]) -> None:
    """Attaches the student's series against the reference's, one pair per key of ``want``.

    Args:
        title: What the picture shows, e.g. "Loss per epoch".
        x_label: The quantity along the x axis (the points are 1, 2, 3, ...).
        y_label: The quantity plotted.
        got: The student's mapping of name -> sequence of numbers (anything:
            a series that is not a sequence of numbers is drawn without it).
        want: The reference's mapping; its keys name the series.
    """
    _attach(lambda: _curves(title, x_label, y_label, got, want))


def attach_error_map(*, title: str, got: Any, want: Any, rtol: float = 0.0,
                     atol: float = 0.0) -> None:
    """Attaches where two 2-D tensors of the same shape differ, when that helps.

    Only for matrices of at least 2 x 2 and at most :data:`MAP_ELEMENTS`
    elements; larger ones are pooled to :data:`MAP_CELLS` cells a side, each
    showing the largest error of its block. An excerpt of both tensors around
    the largest error comes along, as text.
    """
    _attach(lambda: _error_map(title, got, want, rtol, atol))


def _attach(build: Any) -> None:
    figures = _collected.get()
    if figures is None or len(figures) >= MAX_FIGURES:
        return
    try:
        with torch._C.DisableTorchFunction():
            figure = build()
    except Exception:  # noqa: BLE001 - a picture must never change a verdict
        return
    if figure is not None:
        figures.append(figure)


def _curves(title: str, x_label: str, y_label: str, got: Any, want: Mapping[str, Any]
            ) -> dict[str, Any] | None:
    series = []
    for key in list(want)[:MAX_SERIES // 2]:
        reference = _series(want[key])
        if reference is None:
            continue
        name = _text(str(key))
        series.append({"name": name, "source": "reference", "values": reference})
        yours = _series(got.get(key)) if isinstance(got, dict) else None
        if yours is not None:
            series.append({"name": name, "source": "yours", "values": yours})
    if not series:
        return None
    return {"kind": "curves", "title": _text(title), "x_label": _text(x_label),
            "y_label": _text(y_label), "series": series}


def _series(values: Any) -> list[float | None] | None:
    if type(values) is torch.Tensor and values.dim() == 1 and not values.is_complex():
        values = values.detach().cpu()[:MAX_POINTS].double().tolist()
    if type(values) not in (list, tuple):
        return None
    return [_number(value) for value in values[:MAX_POINTS]]


def _number(value: Any) -> float | None:
    if type(value) is torch.Tensor and value.numel() == 1 and not value.is_complex():
        value = value.detach().cpu().double().item()
    if type(value) not in (int, float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def _error_map(title: str, got: Any, want: Any, rtol: float, atol: float
               ) -> dict[str, Any] | None:
    if type(got) is not torch.Tensor or type(want) is not torch.Tensor:
        return None
    if got.dim() != 2 or got.shape != want.shape or min(got.shape) < 2:
        return None
    if got.numel() > MAP_ELEMENTS or got.is_complex() or want.is_complex():
        return None
    got, want = got.detach().cpu(), want.detach().cpu()
    if got.dtype == torch.bool or want.dtype == torch.bool:
        bad = got != want
        error = bad.double()
    else:
        g, w = got.double(), want.double()
        bad = ~torch.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
        error = torch.where(g.isnan() & w.isnan(), 0.0, (g - w).abs().nan_to_num(math.inf))
    rows, cols = got.shape
    cells = (min(rows, MAP_CELLS), min(cols, MAP_CELLS))
    pooled = torch.nn.functional.adaptive_max_pool2d(error[None, None], cells)[0, 0]
    worst = divmod(int(error.reshape(-1).argmax()), cols)
    return {"kind": "error_map", "title": _text(title), "shape": [rows, cols],
            "block": [math.ceil(rows / cells[0]), math.ceil(cols / cells[1])],
            "values": [[_number(v) for v in row] for row in pooled.tolist()],
            "differ": int(bad.sum()), "worst": list(worst),
            "excerpt": _excerpt(got, want, bad, worst)}


def _excerpt(got: torch.Tensor, want: torch.Tensor, bad: torch.Tensor,
             worst: tuple[int, int]) -> dict[str, Any]:
    """Both tensors' values in a small window around the largest error, as text."""
    rows, cols = got.shape
    top = min(max(worst[0] - EXCERPT_ROWS // 2, 0), max(rows - EXCERPT_ROWS, 0))
    left = min(max(worst[1] - EXCERPT_COLS // 2, 0), max(cols - EXCERPT_COLS, 0))
    window = (slice(top, top + EXCERPT_ROWS), slice(left, left + EXCERPT_COLS))
    return {"row": top, "col": left, "expected": _cells(want[window]),
            "got": _cells(got[window]), "differs": bad[window].tolist()}


def _cells(tensor: torch.Tensor) -> list[list[str]]:
    return [[_format(value) for value in row] for row in tensor.tolist()]


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
