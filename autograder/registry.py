"""Discovery of assignments: an assignment is data, the engine is generic.

Every subpackage of :mod:`autograder.assignments` declares one
:class:`Assignment` as ``ASSIGNMENT`` in its ``__init__``; beside it live
``scenarios.py`` (trusted code that runs inside the sandbox) and ``checks.py``
(pytest checks that run in the judge). Nothing else in the engine names an
assignment, so adding a sixth is adding one such folder and its reference in
``solutions/``.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^\d\d_[a-z][a-z0-9_]*$")
_MODULE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Assignment:
    """One assignment's metadata, declared beside its checks.

    Attributes:
        name: Folder name in solutions, stubs and submissions (``02_my_linear``).
        module: The student file's stem; the sandbox loads it under this name.
        title: Human title shown in READMEs and reports.
        package: Python package holding ``scenarios.py`` and ``checks.py``.
        points: Total points; the checks' points must add up to it.
        goals: Learning goals, shown to students.
        hints: Concrete tips for a beginner (Markdown, one line each), shown in
            the assignment's README: the fundamentals it practises and the
            mistakes its checks catch most often.
    """

    name: str
    module: str
    title: str
    package: str
    points: float = 20.0
    goals: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"assignment name {self.name!r} must look like '02_my_linear'")
        if not _MODULE.match(self.module):
            raise ValueError(f"assignment module {self.module!r} must be a lowercase identifier")
        if self.points <= 0:
            raise ValueError(f"assignment {self.name} must be worth more than 0 points")

    @property
    def filename(self) -> str:
        """The student's Python file name, e.g. ``my_linear.py``."""
        return f"{self.module}.py"

    @property
    def notebook_filename(self) -> str:
        """The student's notebook file name, e.g. ``my_linear.ipynb``."""
        return f"{self.module}.ipynb"

    @property
    def scenarios_module(self) -> str:
        return f"{self.package}.scenarios"

    @property
    def checks_path(self) -> Path:
        spec = importlib.util.find_spec(f"{self.package}.checks")
        if spec is None or spec.origin is None:
            raise LookupError(f"assignment {self.name} has no checks module")
        return Path(spec.origin)


def discover() -> tuple[Assignment, ...]:
    """Returns every declared assignment, ordered by name."""
    from autograder import assignments

    found: dict[str, Assignment] = {}
    for info in pkgutil.iter_modules(assignments.__path__):
        if not info.ispkg:
            continue
        package = importlib.import_module(f"{assignments.__name__}.{info.name}")
        declared = getattr(package, "ASSIGNMENT", None)
        if not isinstance(declared, Assignment):
            raise LookupError(f"{package.__name__} declares no ASSIGNMENT")
        if declared.name in found:
            raise LookupError(f"two packages declare assignment {declared.name}")
        found[declared.name] = declared
    return tuple(found[name] for name in sorted(found))


def select(names: list[str] | tuple[str, ...] | None) -> tuple[Assignment, ...]:
    """Returns the named assignments (all when ``names`` is empty).

    A name matches an assignment's full name (``02_my_linear``), its module
    (``my_linear``) or its number (``02`` or ``2``).

    Raises:
        KeyError: with a message listing the known names.
    """
    everything = discover()
    if not names:
        return everything
    chosen: list[Assignment] = []
    for wanted in names:
        match = [a for a in everything if wanted in (a.name, a.module, a.name[:2])
                 or wanted.isdigit() and int(wanted) == int(a.name[:2])]
        if not match:
            known = ", ".join(a.name for a in everything)
            raise KeyError(f"unknown assignment {wanted!r}; known: {known}")
        chosen.extend(a for a in match if a not in chosen)
    return tuple(chosen)
