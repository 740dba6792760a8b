"""Verifying a student bundle before it is written: no solution may be inside.

The stub transform is careful, but the student bundle gathers files from
several steps (stubs, notebooks, READMEs, snapshots), and any of them could
slip a solution in: a notebook cell rendered from the wrong source, a README
quoting a solution line, a docstring that walks through the answer step by
step. So the whole bundle, every file, is checked against the solutions
themselves, with a rule that does not trust the code that made the stubs:

* no marker text (``BEGIN SOLUTION``, ``END SOLUTION``, and nbgrader's
  hidden-test markers) anywhere;
* no *solution line* anywhere, code, docstring, comment or Markdown alike:
  every line from inside a solution's marked blocks is one, except trivial
  lines (fewer than :data:`MIN_NAMES` names: ``return out``, ``pass``,
  ``model.train()``, a lone bracket) and the few lines SPEC itself prescribes
  (:data:`PRESCRIBED`). A docstring that quotes a solution line gives the
  answer away as surely as a copied body, so being quoted outside the blocks
  makes no line public;
* no grading seed: every JSON document with a top-level ``seed`` (the
  snapshots) must hold the public one, whose answers students may see.

Lines are compared as sequences of tokens (names, numbers, punctuation), so
spacing, line wrapping and quote style change nothing, while a name that
merely contains another (``grad_h`` and ``h``) never matches. Notebooks are
JSON, where a solution line would appear escaped, so their cell sources,
Markdown included, are searched as well as their raw text.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder.judge.snapshots import PUBLIC_SEED
from autograder.layout import read_solution
from autograder.registry import Assignment
from autograder.release.stubs import BEGIN, END

MIN_NAMES = 3
"""Solution lines naming fewer things than this (``return out``) are too generic to call a leak."""
MARKER_TEXTS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
PRESCRIBED: Mapping[str, str] = {
    "g = torch.Generator().manual_seed(seed)":
        "SPEC §1, 03_custom_dataset: the generator RegressionDataset draws its data from",
    'self.register_parameter("bias", None)':
        "SPEC §1, 02_my_linear: with bias=False, self.bias is None and no bias parameter "
        "is registered (nn.Linear's own idiom)",
    "h = x @ w1":
        "SPEC §1, 01_manual_autograd: the hidden layer of the network relu(x @ w1) @ w2 "
        "that SPEC defines",
}
"""Solution lines that SPEC spells out for students, so the stubs may show them, with why."""
_SHOWN = 10
_TOKEN = re.compile(r"\w+|[^\w\s]")
_SEPARATOR = "\x1f"  # joins tokens; it never occurs in source or Markdown text
_NOT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


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


def tokens(text: str) -> list[str]:
    """``text`` as the tokens lines are compared by: names, numbers, single punctuation.

    Both quote characters count as one, so rewriting a string's quotes hides nothing.
    """
    return [token.replace("'", '"') for token in _TOKEN.findall(text)]


def is_trivial(line: str) -> bool:
    """Whether a solution line names too little to give anything away (``return out``)."""
    names = [t for t in tokens(line) if t[0].isalpha() or t[0] == "_"]
    return len([t for t in names if t not in _NOT_NAMES]) < MIN_NAMES


def solution_lines(*, solutions: Path, assignments: Sequence[Assignment]) -> frozenset[str]:
    """The lines whose presence in a student file means a solution leaked.

    Every line inside a solution block of ``assignments``, short of trivial
    ones (:func:`is_trivial`) and those SPEC prescribes (:data:`PRESCRIBED`).
    """
    prescribed = {_joined(tokens(line)) for line in PRESCRIBED}
    inside: set[str] = set()
    for assignment in assignments:
        inside |= split_lines(read_solution(solutions, assignment)[1])[0]
    return frozenset(line for line in inside
                     if not is_trivial(line) and _joined(tokens(line)) not in prescribed)


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
    markers = [(marker.encode(), f"the marker text {marker!r}") for marker in MARKER_TEXTS]
    needles = [(_joined(tokens(line)), f"a line of a solution block: {line!r}")
               for line in sorted(secrets) if tokens(line)]
    for path in sorted(files):
        raw, texts = _searchable(path, files[path], problems)
        problems += [f"{path}: {what}" for marker, what in markers if marker in raw]
        streams = [_joined(tokens(text)) for text in texts]
        problems += [f"{path}: {what}" for needle, what in needles
                     if any(needle in stream for stream in streams)]
        seed = _seed(path, files[path])
        if seed is not None and seed != PUBLIC_SEED:
            problems.append(f"{path}: a grading seed ({seed!r}); only the public seed "
                            f"{PUBLIC_SEED} may ship to students")
    if problems:
        raise LeakError(problems)


def _joined(sequence: Sequence[str]) -> str:
    """Tokens as one string in which a contiguous run of tokens is a substring."""
    return _SEPARATOR + _SEPARATOR.join(sequence) + _SEPARATOR


def _searchable(path: str, content: str | bytes, problems: list[str]
                ) -> tuple[bytes, list[str]]:
    """A file's raw bytes, and its text to tokenise: a notebook's cell sources too.

    A file that is not UTF-8 (the snapshots' tensors) has no text to search
    for solution lines; its bytes are still searched for marker text.
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw, []
    if not path.endswith(".ipynb"):
        return raw, [text]
    try:
        cells = json.loads(raw)["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells]
    except (ValueError, KeyError, TypeError):
        problems.append(f"{path}: not a readable notebook, so it cannot be verified")
        return raw, [text]
    return raw, [text, "\n".join(sources)]


def _seed(path: str, content: str | bytes) -> object | None:
    """The top-level ``seed`` of a JSON document, or None."""
    if not path.endswith(".json"):
        return None
    try:
        document = json.loads(content)
    except ValueError:
        return None
    return document.get("seed") if isinstance(document, dict) else None
