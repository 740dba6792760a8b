"""Catalogues of realistic submissions: mistakes that must lose points, alternatives that must not.

A catalogue is how an instructor shows that the checks discriminate. Each
variant is the reference solution of one assignment changed by exact text
edits, so it stays small, readable and in step with the reference: an edit
whose ``old`` text is not found exactly once fails loudly instead of
silently grading the unchanged reference.

A catalogue folder holds ``mistakes/*.py`` (each defining ``MISTAKES`` and,
optionally, ``UNCAUGHT``: real mistakes the checks do not catch yet) and
``alternatives/*.py`` (each defining ``ALTERNATIVES``). The variants quote
the reference, so a catalogue belongs with the solutions on the instructor's
side (this checkout's is ``tests/catalogue``), never in a student release.
:func:`load_catalogue` reads one; :func:`mistake_problems` and
:func:`alternative_problems` say what is wrong with a variant's result, for
the test suite and for ``torchgrade validate`` alike.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from autograder.results import AssignmentResult, SubmissionResult


class CatalogueError(Exception):
    """A catalogue file cannot be loaded or declares an impossible variant."""


@dataclass(frozen=True)
class Replace:
    """Replaces the one occurrence of ``old`` in the reference with ``new``."""

    old: str
    new: str

    def __call__(self, text: str) -> str:
        count = text.count(self.old)
        if count != 1:
            raise CatalogueError(f"expected exactly one {self.old!r} in the reference, "
                                 f"found {count}")
        return text.replace(self.old, self.new)


@dataclass(frozen=True)
class Solution:
    """Replaces the solution block of ``function`` (or method) with ``code``.

    ``function`` is the name, or the start of the signature where a name
    occurs more than once (``"__init__(\\n        self,\\n        texts"``).
    ``code`` is written without indentation; it gets that of the block.
    """

    function: str
    code: str

    def __call__(self, text: str) -> str:
        head = "def " + self.function + ("" if "(" in self.function else "(")
        starts = [m.end() for m in re.finditer(re.escape(head), text)]
        if len(starts) != 1:
            raise CatalogueError(f"expected exactly one def {self.function}( in the reference, "
                                 f"found {len(starts)}")
        begin = text.index("### BEGIN SOLUTION\n", starts[0])
        end = text.index("### END SOLUTION", begin)
        indent = text[text.rindex("\n", 0, begin) + 1: begin]
        body = "".join(indent + line if line.strip() else line
                       for line in self.code.strip("\n").splitlines(keepends=True))
        return text[:begin] + "### BEGIN SOLUTION\n" + body + "\n" + text[end - len(indent):]


Edit = Callable[[str], str]
V = TypeVar("V")


def apply(text: str, edits: tuple[Edit, ...]) -> str:
    """The reference ``text`` with every edit applied in order."""
    for edit in edits:
        text = edit(text)
    return text


@dataclass(frozen=True)
class Mistake:
    """A wrong variant: ``fails`` is the exact set of check ids that must not pass.

    ``feedback`` is a fragment that the feedback of one of those checks shows.
    ``forbidden_hints`` are fragments that no feedback on it may show: advice
    that contradicts what this variant's code already does (telling a student
    who passed ``device=device`` to pass it), checked by the feedback rules.
    """

    name: str
    assignment: str
    edits: tuple[Edit, ...]
    fails: frozenset[str]
    feedback: str
    forbidden_hints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.fails:
            raise CatalogueError(f"mistake {self.name!r} names no failing check")
        if not all(check.startswith(self.assignment + "/") for check in self.fails):
            raise CatalogueError(f"mistake {self.name!r} names checks of another assignment")

    @property
    def label(self) -> str:
        return f"{self.assignment}:{self.name}"


@dataclass(frozen=True)
class Alternative:
    """A legitimately different correct implementation: it must get full marks."""

    name: str
    assignment: str
    edits: tuple[Edit, ...]
    why: str = field(default="")

    @property
    def label(self) -> str:
        return f"{self.assignment}:{self.name}"


def fails(assignment: str, *checks: str) -> frozenset[str]:
    """Check ids ``<assignment>/<name>`` for the given check names."""
    return frozenset(f"{assignment}/{name}" for name in checks)


@dataclass(frozen=True)
class Catalogue:
    """Every variant of one catalogue folder, in file then declaration order."""

    mistakes: tuple[Mistake, ...]
    uncaught: tuple[Mistake, ...]
    alternatives: tuple[Alternative, ...]


def load_catalogue(folder: Path, *, assignments: Sequence[str]) -> Catalogue:
    """Loads ``folder/mistakes/*.py`` and ``folder/alternatives/*.py``.

    The files are the instructor's own Python, imported by path under private
    module names (never from a submission).

    Args:
        folder: The catalogue folder.
        assignments: The names of the known assignments; a variant of any
            other is an error.

    Raises:
        CatalogueError: no such folder, a file that fails to import, a
            variant of an unknown assignment, or two variants with one label.
    """
    folder = Path(folder)
    if not (folder / "mistakes").is_dir():
        raise CatalogueError(f"no mistake catalogue at {folder} (expected {folder}/mistakes/)")
    mistakes: list[Mistake] = []
    uncaught: list[Mistake] = []
    alternatives: list[Alternative] = []
    for path in sorted((folder / "mistakes").glob("[!_]*.py")):
        module = _import(path, f"_torchgrade_catalogue.mistakes.{path.stem}")
        mistakes.extend(_declared(module, "MISTAKES", Mistake, path))
        uncaught.extend(_declared(module, "UNCAUGHT", Mistake, path))
    for path in sorted((folder / "alternatives").glob("[!_]*.py")):
        module = _import(path, f"_torchgrade_catalogue.alternatives.{path.stem}")
        alternatives.extend(_declared(module, "ALTERNATIVES", Alternative, path))
    labels: set[str] = set()
    variants: list[Mistake | Alternative] = [*mistakes, *uncaught, *alternatives]
    for variant in variants:
        if variant.assignment not in assignments:
            raise CatalogueError(f"{variant.label}: unknown assignment {variant.assignment!r}")
        if variant.label in labels:
            raise CatalogueError(f"two variants are called {variant.label}")
        labels.add(variant.label)
    return Catalogue(tuple(mistakes), tuple(uncaught), tuple(alternatives))


def _declared(module: object, name: str, kind: type[V], path: Path) -> list[V]:
    """The list ``module.<name>`` (empty when absent), every entry a ``kind``."""
    entries = getattr(module, name, [])
    if not isinstance(entries, (list, tuple)) or not all(isinstance(e, kind) for e in entries):
        raise CatalogueError(f"{path}: {name} must be a list of {kind.__name__}")
    return list(entries)


def _import(path: Path, name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CatalogueError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any failure of the file is reported with it
        raise CatalogueError(f"{path}: {type(error).__name__}: {error}") from error
    return module


def failing_checks(assignment: AssignmentResult) -> set[str]:
    """The ids of the checks that did not pass."""
    return {c.id for c in assignment.checks if c.status != "passed"}


def mistake_problems(result: SubmissionResult, mistake: Mistake) -> list[str]:
    """What is wrong with how ``mistake`` was graded; empty when it was caught as declared.

    Caught means: its own assignment was graded and lost points, exactly the
    declared checks failed, one of them shows the feedback fragment, and
    every other assignment kept full marks.
    """
    problems = [f"{a.name} scored {a.score:g}/{a.max_score:g}, not full marks"
                for a in result.assignments
                if a.name != mistake.assignment and (a.status, a.score) != ("graded", a.max_score)]
    own = next((a for a in result.assignments if a.name == mistake.assignment), None)
    if own is None or own.status != "graded":
        return [*problems, f"{mistake.assignment} was not graded"
                + (f": {own.message}" if own is not None else "")]
    failing = failing_checks(own)
    if failing != mistake.fails:
        missed, extra = sorted(mistake.fails - failing), sorted(failing - mistake.fails)
        problems.append("failed checks differ from the declared ones"
                        + (f"; passed but should fail: {', '.join(missed)}" if missed else "")
                        + (f"; failed but not declared: {', '.join(extra)}" if extra else ""))
    feedback = [c.feedback for c in own.checks if c.status != "passed"]
    if not any(mistake.feedback in text for text in feedback):
        problems.append(f"no failing check's feedback says {mistake.feedback!r}")
    return problems


def alternative_problems(result: SubmissionResult) -> list[str]:
    """The checks a correct alternative failed; empty when it got full marks."""
    return [f"{c.id}: {c.status}: {c.feedback}" for a in result.assignments
            for c in a.checks if c.status != "passed"]
