"""Grading metadata declared beside each check, parsed once at collection.

A check is a pytest test function in an assignment's ``checks.py``::

    @check(points=3)
    def test_forward(submission, reference, rng, device):
        \"\"\"MyLinear(x) matches nn.Linear.\"\"\"

``check`` only attaches the registered ``torchgrade`` marker; the plugin turns
the marker into a frozen :class:`CheckSpec` stored in the item's stash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

MARKER = "torchgrade"
MARKER_HELP = (f"{MARKER}(points, visibility='public', name=None, part=None): grading "
               "metadata of a torchgrade check")
VISIBILITIES = ("public", "hidden")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CheckSpec:
    """What a check is worth and how it is shown.

    Attributes:
        id: ``<assignment>/<function name without test_>``, stable across runs.
        name: One-line description (the docstring's first line by default).
        assignment: The assignment's name.
        points: Points for passing.
        visibility: ``public`` (students see feedback) or ``hidden``.
        part: The top-level function or class of the student's module that the
            check is about (notebooks put its test cell after that part's
            solution cell); None for a check of the whole module.
    """

    id: str
    name: str
    assignment: str
    points: float
    visibility: str
    part: str | None = None


def check(*, points: float, visibility: str = "public", name: str | None = None,
          part: str | None = None) -> Callable[[F], F]:
    """Declares a test function as a graded check worth ``points``.

    ``part`` names the function or class of the student's module the check is
    about, e.g. ``part="sgd_step"``.
    """
    if points <= 0:
        raise ValueError("a check must be worth more than 0 points")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}")
    if part is not None and not part.isidentifier():
        raise ValueError(f"part {part!r} must name a function or class")
    return getattr(pytest.mark, MARKER)(points=points, visibility=visibility, name=name,
                                        part=part)


def parse_spec(function: Callable[..., Any], marker: pytest.Mark, assignment: str
               ) -> CheckSpec:
    """Builds the spec of ``function`` from its marker."""
    if marker.args or set(marker.kwargs) - {"points", "visibility", "name", "part"}:
        raise pytest.UsageError(f"{function.__name__}: use @check(points=..., ...)")
    doc = (function.__doc__ or "").strip().splitlines()
    short = function.__name__.removeprefix("test_")
    return CheckSpec(
        id=f"{assignment}/{short}",
        name=marker.kwargs.get("name") or (doc[0].strip() if doc else short.replace("_", " ")),
        assignment=assignment,
        points=float(marker.kwargs["points"]),
        visibility=marker.kwargs.get("visibility", "public"),
        part=marker.kwargs.get("part"),
    )
