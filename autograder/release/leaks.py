"""Verifying a student bundle before it is written: no solution may be inside.

The stub transform is careful, but the student bundle gathers files from
several steps (stubs, notebooks, READMEs, snapshots), and any of them could
slip a solution in: a notebook cell rendered from the wrong source, a README
quoting a solution line, a future step copying a folder too many. So the
whole bundle, every file, is checked against the solutions themselves, with
a rule that does not trust the code that made the stubs:

* no marker text (``BEGIN SOLUTION``, ``END SOLUTION``, and nbgrader's
  hidden-test markers) anywhere;
* no *solution line* anywhere: a stripped line from inside any solution's
  marked blocks that is at least :data:`MIN_LINE_CHARS` long and does not
  also appear (as a line or within one) outside the blocks of some
  solution. Short lines (``return out``) and code the docstrings quote
  (``g = torch.Generator().manual_seed(seed)``) would only give false
  alarms; any real copy of a solution body contains long, specific lines;
* no grading seed: every JSON document with a top-level ``seed`` (the
  snapshots) must hold the public one, whose answers students may see.

Notebooks are JSON, where a solution line would appear escaped, so their
cell sources are searched as well as their raw text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder.judge.snapshots import PUBLIC_SEED
from autograder.layout import read_solution
from autograder.registry import Assignment
from autograder.release.stubs import BEGIN, END

MIN_LINE_CHARS = 25
"""Solution lines shorter than this (stripped) are too generic to call a leak."""
MARKER_TEXTS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_SHOWN = 10


class LeakError(Exception):
    """The student bundle would contain solution text or a grading seed; nothing was written.

    Attributes:
        problems: One line per finding: the bundle file and what it holds.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        shown = [f"  {problem}" for problem in problems[:_SHOWN]]
        if len(problems) > _SHOWN:
            shown.append(f"  ... and {len(problems) - _SHOWN} more")
        super().__init__("the student bundle would leak the solution, so nothing was "
                         "written:\n" + "\n".join(shown))
        self.problems = tuple(problems)


def split_lines(source: str) -> tuple[set[str], set[str]]:
    """The stripped lines of ``source`` inside and outside its solution blocks.

    A plain line scan on purpose: :func:`~autograder.release.stubs.make_stub`
    has already rejected malformed markers, and the verifier should not share
    the parser whose output it verifies.
    """
    inside, outside = set(), set()
    within = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in (BEGIN, END):
            within = stripped == BEGIN
        elif within:
            inside.add(stripped)
        else:
            outside.add(stripped)
    return inside, outside


def solution_lines(*, solutions: Path, assignments: Sequence[Assignment]) -> frozenset[str]:
    """The lines whose presence in a student file means a solution leaked.

    Text outside the blocks of *any* assignment's solution is public: a line
    it contains (a docstring quoting the code, a signature another module
    repeats) is what the stubs legitimately show, so it is not a secret.
    """
    inside: set[str] = set()
    outside: set[str] = set()
    for assignment in assignments:
        secret, public = split_lines(read_solution(solutions, assignment)[1])
        inside |= secret
        outside |= public
    public_text = "\n".join(sorted(outside))
    return frozenset(line for line in inside
                     if len(line) >= MIN_LINE_CHARS and line not in public_text)


def verify_student(files: Mapping[str, str | bytes], *, secrets: frozenset[str]) -> None:
    """Checks every file of a student bundle; returns only when none leaks.

    Args:
        files: Relative path -> content, the whole bundle as it will be written.
        secrets: From :func:`solution_lines`.

    Raises:
        LeakError: listing every file that holds marker text, a solution line
            or a seed other than the public one.
    """
    problems: list[str] = []
    needles = [(marker.encode(), f"the marker text {marker!r}") for marker in MARKER_TEXTS]
    needles += [(line.encode("utf-8"), f"a line of a solution block: {line!r}")
                for line in sorted(secrets)]
    for path in sorted(files):
        haystacks = _searchable(path, files[path], problems)
        for needle, what in needles:
            if any(needle in haystack for haystack in haystacks):
                problems.append(f"{path}: {what}")
        seed = _seed(path, files[path])
        if seed is not None and seed != PUBLIC_SEED:
            problems.append(f"{path}: a grading seed ({seed!r}); only the public seed "
                            f"{PUBLIC_SEED} may ship to students")
    if problems:
        raise LeakError(problems)


def _searchable(path: str, content: str | bytes, problems: list[str]) -> list[bytes]:
    """The raw bytes of a file and, for a notebook, its cells' sources unescaped."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if not path.endswith(".ipynb"):
        return [raw]
    try:
        cells = json.loads(raw)["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells]
    except (ValueError, KeyError, TypeError):
        problems.append(f"{path}: not a readable notebook, so it cannot be verified")
        return [raw]
    return [raw, "\n".join(sources).encode("utf-8")]


def _seed(path: str, content: str | bytes) -> object | None:
    """The top-level ``seed`` of a JSON document, or None."""
    if not path.endswith(".json"):
        return None
    try:
        document = json.loads(content)
    except ValueError:
        return None
    return document.get("seed") if isinstance(document, dict) else None
