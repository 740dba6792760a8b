"""The pictures of the HTML pages, drawn with matplotlib as self-contained SVG data URIs.

Every picture is a ``data:image/svg+xml;base64,...`` URI for an ``<img>``:
the page that shows it needs no file beside it and loads nothing from the
network (text is drawn as paths, so no font is fetched either), and an SVG
shown through ``<img>`` can run no script, whatever its labels say.
Figures are made with matplotlib's object API (no ``pyplot``, no global
backend or state), and their SVG is the same bytes for the same data.

Pictures of a check come from its ``CheckResult.data``
(:mod:`autograder.judge.figures`), which a results file may carry from
anywhere: :func:`check_plots` draws what it understands and skips the rest.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from autograder.judge.figures import FIGURES, MAX_FIGURES

YOURS, REFERENCE = "#d9480f", "#1c7ed6"
"""Line colours: the student's (orange) and the reference's (blue)."""
MISSING = "#212529"
ERROR_COLOURS = ("#ffffff", "#ffa8a8", "#c92a2a")  # no error -> the largest error
PASS_COLOURS = ("#f03e3e", "#f59f00", "#37b24d")  # pass rate 0 -> 0.5 -> 1
# The pages' styles use none of these colours, so a screenshot tells where pictures were drawn.
_STYLE: Any = {"svg.fonttype": "none", "svg.hashsalt": "torchgrade", "text.parse_math": False,
          "font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
          "axes.spines.right": False}

_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Plot:
    """One picture for a page.

    Attributes:
        kind: What it shows (``loss-curves``, ``error-map``, ``score-histogram``,
            ``pass-rates``), for styling and for tests.
        title: A caption.
        alt: A text description, for readers who cannot see the picture.
        uri: The ``data:`` URI of its SVG.
    """

    kind: str
    title: str
    alt: str
    uri: str


def check_plots(data: Any) -> list[Plot]:
    """The pictures a check's ``data`` describes; anything malformed is left out."""
    figures = data.get(FIGURES) if isinstance(data, dict) else None
    plots = []
    for figure in figures[:MAX_FIGURES] if isinstance(figures, list) else []:
        try:
            plot = _figure_plot(figure)
        except (KeyError, TypeError, ValueError, IndexError):
            plot = None
        if plot is not None:
            plots.append(plot)
    return plots


def _figure_plot(figure: Any) -> Plot | None:
    if not isinstance(figure, dict):
        return None
    if figure.get("kind") == "curves":
        return curves(figure)
    if figure.get("kind") == "error_map":
        return error_map(figure)
    return None


def curves(figure: dict[str, Any]) -> Plot:
    """The student's series (solid, orange) over the reference's (dashed, blue)."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(6.4, 3.0))
        axes = fig.add_subplot()
        markers = "osD^v<>p"
        names = list(dict.fromkeys(str(s["name"]) for s in figure["series"]))
        for series in figure["series"]:
            values = [math.nan if v is None else float(v) for v in series["values"]]
            yours = series["source"] == "yours"
            marker = markers[names.index(str(series["name"])) % len(markers)]
            axes.plot(range(1, len(values) + 1), values, marker=marker,
                      linestyle="-" if yours else "--", color=YOURS if yours else REFERENCE,
                      linewidth=2 if yours else 1.5, markersize=6 if yours else 8,
                      markerfacecolor=YOURS if yours else "none",
                      label=f"{series['name']} ({'yours' if yours else 'reference'})")
        axes.set_xlabel(str(figure["x_label"]))
        axes.set_ylabel(str(figure["y_label"]))
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.tight_layout()
        yours = [s for s in figure["series"] if s["source"] == "yours"]
        alt = (f"Line chart of {', '.join(names)} per {figure['x_label']}: yours "
               + ("against the reference's." if yours else "could not be drawn; "
                  "the reference's only."))
        return Plot("loss-curves", str(figure["title"]), alt, _uri(fig))


def error_map(figure: dict[str, Any]) -> Plot:
    """A heat map of |got - expected| over a matrix; black where not a finite number."""
    rows, cols = (int(n) for n in figure["shape"])
    values = [[math.inf if v is None else float(v) for v in row] for row in figure["values"]]
    finite = [v for row in values for v in row if math.isfinite(v)]
    top = max(finite, default=0.0) or 1.0
    block_rows, block_cols = (int(n) for n in figure["block"])
    height, width = len(values), len(values[0])
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(min(6.0, 1.8 + 0.32 * width), min(4.6, 1.0 + 0.3 * height)))
        axes = fig.add_subplot()
        colours = LinearSegmentedColormap.from_list(
            "error", list(ERROR_COLOURS)).with_extremes(over=MISSING)
        mesh = axes.pcolormesh([[min(v, top * 2) for v in row] for row in values],
                               cmap=colours, vmin=0.0, vmax=top, edgecolors="#dee2e6",
                               linewidth=0.5)
        if "worst" in figure:  # outline the cell that holds the largest error
            row, col = (int(n) for n in figure["worst"])
            axes.add_patch(Rectangle((min(col * width // cols, width - 1),
                                      min(row * height // rows, height - 1)), 1, 1,
                                     fill=False, edgecolor=MISSING, linewidth=1.5))
        axes.invert_yaxis()
        axes.set_aspect("equal")
        # a pooled cell starts at floor(i * size / cells), as adaptive pooling cuts it
        axes.set_xticks([c + 0.5 for c in range(width)],
                        [str(c * cols // width) for c in range(width)], fontsize=7)
        axes.set_yticks([r + 0.5 for r in range(height)],
                        [str(r * rows // height) for r in range(height)], fontsize=7)
        axes.set_xlabel("column")
        axes.set_ylabel("row")
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        fig.colorbar(mesh, ax=axes, shrink=0.85, extend="max" if len(finite) < sum(
            map(len, values)) else "neither").set_label("|got - expected|")
        fig.tight_layout()
    pooled = block_rows > 1 or block_cols > 1
    alt = (f"Heat map of the error over a {rows} x {cols} matrix"
           + (f", each cell the largest error of a {block_rows} x {block_cols} block" if pooled
              else "") + f"; {int(figure['differ'])} values differ.")
    return Plot("error-map", str(figure["title"]), alt, _uri(fig))


def score_histogram(percentages: Sequence[float]) -> Plot:
    """How many submissions scored 0-10 %, 10-20 %, ..., 90-100 % of their maximum."""
    edges = [10.0 * i for i in range(11)]
    counts = [0] * 10
    for value in percentages:
        counts[min(int(max(value, 0.0) // 10), 9)] += 1
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(6.0, 2.8))
        axes = fig.add_subplot()
        axes.bar(edges[:-1], counts, width=10, align="edge", color=REFERENCE,
                 edgecolor="#ffffff")
        axes.set_xlim(0, 100)
        axes.set_xticks(edges)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("score (% of the maximum)")
        axes.set_ylabel("submissions")
        axes.grid(axis="y", alpha=0.3)
        fig.tight_layout()
    spread = ", ".join(f"{int(edges[i])}-{int(edges[i + 1])} %: {n}"
                       for i, n in enumerate(counts) if n)
    return Plot("score-histogram", "Scores", f"Histogram of the scores ({spread or 'none'}).",
                _uri(fig))


def pass_rates(rows: Sequence[tuple[str, float]]) -> Plot:
    """One horizontal bar per check, the least passed at the top."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(7.0, 0.7 + 0.2 * max(len(rows), 1)))
        axes = fig.add_subplot()
        positions = list(range(len(rows)))
        bars = axes.barh(positions, [100 * rate for _, rate in rows],
                         color=[rate_colour(rate) for _, rate in rows], height=0.7)
        axes.bar_label(bars, [f"{100 * rate:.0f} %" for _, rate in rows], padding=3, fontsize=7)
        axes.set_yticks(positions, [label for label, _ in rows], fontsize=7)
        axes.set_ylim(len(rows) - 0.5, -0.5)  # the first row at the top, no padding
        axes.set_xlim(0, 108)
        axes.set_xticks([0, 20, 40, 60, 80, 100])
        axes.set_xlabel("submissions that passed (%)")
        axes.grid(axis="x", alpha=0.3)
        fig.tight_layout()
    lowest = ", ".join(f"{label} {100 * rate:.0f} %" for label, rate in rows[:3])
    return Plot("pass-rates", "Pass rate per check",
                f"Bar chart of the pass rate of {len(rows)} checks; lowest: {lowest or 'none'}.",
                _uri(fig))


def rate_colour(rate: float) -> str:
    """The colour of a pass rate's bar: red at 0, orange at one half, green at 1."""
    colours = LinearSegmentedColormap.from_list("rate", list(PASS_COLOURS))
    return to_hex(colours(rate))


def _uri(fig: Figure) -> str:
    """The figure as an SVG data URI: no XML prolog, DOCTYPE or metadata, so the
    picture names no address and the same data gives the same bytes."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):  # the svg.* settings apply when saving
        fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
