"""Discovery of assignments: an assignment is data, the engine is generic.

Every subpackage of :mod:`autograder.assignments` declares one
:class:`Assignment` as ``ASSIGNMENT`` in its ``__init__``; beside it live
``scenarios.py`` (trusted code that runs inside the sandbox) and ``checks.py``
(pytest checks that run in the judge). Nothing else in the engine names an
assignment, so adding a sixth is adding one such folder and its reference in
``solutions/``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^\d\d_[a-z][a-z0-9_]*$")
_MODULE = re.compile(r"^[a-z][a-z0-9_]*$")


class UnknownAssignment(KeyError):
    """A name that matches no assignment (the CLI exits with 2).

    Its ``str()`` is the message, without the quotes ``KeyError`` adds: the
    unknown name, the closest known ones, and every known name.
    """

    def __str__(self) -> str:
        return str(self.args[0])


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
        UnknownAssignment: a name matches none; the message suggests the
            closest names and lists the known ones.
    """
    everything = discover()
    if not names:
        return everything
    chosen: list[Assignment] = []
    for wanted in names:
        match = [a for a in everything if wanted in (a.name, a.module, a.name[:2])
                 or wanted.isdigit() and int(wanted) == int(a.name[:2])]
        if not match:
            raise UnknownAssignment(_unknown(wanted, everything))
        chosen.extend(a for a in match if a not in chosen)
    return tuple(chosen)


def _unknown(wanted: str, everything: tuple[Assignment, ...]) -> str:
    """Says that ``wanted`` names no assignment, with a "did you mean" where one is close."""
    spellings = {spelling: a.name for a in everything for spelling in (a.name, a.module)}
    close = difflib.get_close_matches(wanted.lower(), spellings, n=3, cutoff=0.6)
    suggested = list(dict.fromkeys(spellings[c] for c in close))
    hint = f" Did you mean {' or '.join(suggested)}?" if suggested else ""
    known = ", ".join(a.name for a in everything)
    return (f"unknown assignment {wanted!r}.{hint} Known: {known} (a name, its file's stem "
            "such as my_linear, or its number such as 02).")


def owner(filename: str) -> Assignment | None:
    """The assignment whose student file is called ``filename`` (``my_linear.py``), if any."""
    return next((a for a in discover() if filename in (a.filename, a.notebook_filename)), None)
