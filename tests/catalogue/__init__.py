"""A catalogue of realistic student submissions, written as edits of the reference.

Each variant changes one assignment's reference file by exact text edits, so
the catalogue stays small, readable and in step with the reference: an edit
whose ``old`` text is not found exactly once fails loudly instead of silently
grading the unchanged reference. ``tests/test_catalogue.py`` grades every
variant and asserts the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

ASSIGNMENTS = ("01_manual_autograd", "02_my_linear", "03_custom_dataset", "04_collate",
               "05_training_loop")


@dataclass(frozen=True)
class Replace:
    """Replaces the one occurrence of ``old`` in the reference with ``new``."""

    old: str
    new: str

    def __call__(self, text: str) -> str:
        count = text.count(self.old)
        if count != 1:
            raise AssertionError(f"expected exactly one {self.old!r} in the reference, "
                                 f"found {count}")
        return text.replace(self.old, self.new)


@dataclass(frozen=True)
class Solution:
    """Replaces the solution block of ``function`` (or method) with ``code``.

    ``function`` is the name, or the start of the signature where a name
    occurs more than once (``"__init__(\n        self,\n        texts"``).
    ``code`` is written without indentation; it gets that of the block.
    """

    function: str
    code: str

    def __call__(self, text: str) -> str:
        head = "def " + self.function + ("" if "(" in self.function else "(")
        starts = [m.end() for m in re.finditer(re.escape(head), text)]
        if len(starts) != 1:
            raise AssertionError(f"expected exactly one def {self.function}( in the reference, "
                                 f"found {len(starts)}")
        begin = text.index("### BEGIN SOLUTION\n", starts[0])
        end = text.index("### END SOLUTION", begin)
        indent = text[text.rindex("\n", 0, begin) + 1: begin]
        body = "".join(indent + line if line.strip() else line
                       for line in self.code.strip("\n").splitlines(keepends=True))
        return text[:begin] + "### BEGIN SOLUTION\n" + body + "\n" + text[end - len(indent):]


Edit = Callable[[str], str]


def apply(text: str, edits: tuple[Edit, ...]) -> str:
    """The reference ``text`` with every edit applied in order."""
    for edit in edits:
        text = edit(text)
    return text


@dataclass(frozen=True)
class Mistake:
    """A wrong variant: ``fails`` is the exact set of check ids that must not pass.

    ``feedback`` is a fragment that the feedback of one of those checks shows.
    """

    name: str
    assignment: str
    edits: tuple[Edit, ...]
    fails: frozenset[str]
    feedback: str

    def __post_init__(self) -> None:
        if self.assignment not in ASSIGNMENTS:
            raise ValueError(f"unknown assignment {self.assignment!r}")
        if not self.fails:
            raise ValueError(f"mistake {self.name!r} names no failing check")
        if not all(check.startswith(self.assignment + "/") for check in self.fails):
            raise ValueError(f"mistake {self.name!r} names checks of another assignment")


@dataclass(frozen=True)
class Alternative:
    """A legitimately different correct implementation: it must get full marks."""

    name: str
    assignment: str
    edits: tuple[Edit, ...]
    why: str = field(default="")

    def __post_init__(self) -> None:
        if self.assignment not in ASSIGNMENTS:
            raise ValueError(f"unknown assignment {self.assignment!r}")


def fails(assignment: str, *checks: str) -> frozenset[str]:
    """Check ids ``<assignment>/<name>`` for the given check names."""
    return frozenset(f"{assignment}/{name}" for name in checks)
