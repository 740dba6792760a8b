"""Student stubs from reference solutions: the release's first transform.

The reference solution is the one hand-written source (DESIGN.md). The code a
student must write is wrapped, nbgrader-style, in comment lines that stand
alone::

    def forward(self, x):
        \"\"\"Applies the layer.\"\"\"
        ### BEGIN SOLUTION
        return x @ self.weight.T + self.bias
        ### END SOLUTION

:func:`make_stub` replaces each block, markers included, with a ``TODO``
comment and a ``raise NotImplementedError`` that names the function, and keeps
every other byte, so the stub keeps its imports, signature and docstring
(STYLE habit 7) and a student's diff against it shows only their own work.

The transform is strict on purpose: a marker it cannot place with certainty
(half a statement, a class body, nested blocks, marker text on a line with
other text) is a :class:`MarkerError` naming the file and line, because the
other outcome is a release that leaks the solution or does not import.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.intake.copies import NOT_IMPLEMENTED
from autograder.layout import read_solution
from autograder.registry import Assignment

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_MARKER_TEXT = ("BEGIN SOLUTION", "END SOLUTION")
_FALLBACK_INSTRUCTION = "see its docstring"
_MAX_INSTRUCTION = 160
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_Raises = dict[int, tuple[ast.Raise, tuple[_Scope, ...]]]


class MarkerError(ValueError):
    """A solution's BEGIN/END SOLUTION markers cannot be turned into a stub.

    Attributes:
        filename: The solution file, as given to :func:`make_stub`.
        lineno: 1-based line of the offending marker (or syntax error).
        problem: What is wrong, without the location.
    """

    def __init__(self, filename: str, lineno: int, problem: str) -> None:
        super().__init__(f"{filename}:{lineno}: {problem}")
        self.filename = filename
        self.lineno = lineno
        self.problem = problem

    def __reduce__(self) -> tuple[type[MarkerError], tuple[str, int, str]]:
        # The default reduce would call __init__ with the formatted message only.
        return (type(self), (self.filename, self.lineno, self.problem))


@dataclass(frozen=True)
class _Block:
    """One solution block: 1-based lines of its BEGIN and END markers."""

    begin: int
    end: int


@dataclass(frozen=True)
class _Target:
    """What a block's replacement says: whose code is missing and what it does."""

    qualname: str
    instruction: str


def make_stub(source: str, *, filename: str) -> str:
    """Returns ``source`` with every solution block replaced by a ``raise``.

    Each block, markers included, becomes two lines at the BEGIN marker's
    indentation: ``# TODO: implement <qualname> (see the docstring above).``
    and ``raise NotImplementedError("<qualname> is not implemented yet:
    <first sentence of its docstring>")``. Everything outside the blocks is
    kept byte for byte, line endings included. A source without markers is
    returned unchanged.

    Args:
        source: The reference solution's text.
        filename: Where ``source`` came from; only used in error messages.

    Returns:
        The stub's text; it parses and contains no marker text.

    Raises:
        MarkerError: ``source`` does not parse, or a marker is misplaced,
            unpaired, nested, not alone on its line, or not inside a function
            body after its docstring.
    """
    tree = _parse(source, filename)
    lines = io.StringIO(source).readlines()
    blocks = _pair_markers(_marker_lines(source, lines, filename), filename)
    if not blocks:
        return source
    targets = _resolve_targets(tree, lines, blocks, filename)
    out: list[str] = []
    cursor = 0
    for block, target in zip(blocks, targets, strict=True):
        out.extend(lines[cursor : block.begin - 1])
        indent = _indent(lines[block.begin - 1])
        message = json.dumps(
            f"{target.qualname} {NOT_IMPLEMENTED}: {target.instruction}", ensure_ascii=False
        )
        out.append(f"{indent}# TODO: implement {target.qualname} (see the docstring above)."
                   f"{_newline(lines[block.begin - 1])}")
        out.append(f"{indent}raise NotImplementedError({message}){_newline(lines[block.end - 1])}")
        cursor = block.end
    out.extend(lines[cursor:])
    stub = "".join(out)
    _parse(stub, f"{filename} (generated stub)")  # guard: a stub that does not import is useless
    return stub


def render_stubs(*, solutions: Path, assignments: Sequence[Assignment]) -> dict[str, str]:
    """Renders the stub of each assignment from its reference solution.

    Args:
        solutions: The ``solutions/`` folder, holding ``<name>/<module>.py``.
        assignments: Which assignments to render, in output order.

    Returns:
        Relative POSIX path in the student release (``02_my_linear/my_linear.py``)
        mapped to the stub's text.

    Raises:
        FileNotFoundError: An assignment has no reference solution file; a
            release without one of its stubs would be silently incomplete.
        MarkerError: A solution's markers are wrong (see :func:`make_stub`).
    """
    rendered: dict[str, str] = {}
    for assignment in assignments:
        path, source = read_solution(solutions, assignment)
        rendered[f"{assignment.name}/{assignment.filename}"] = make_stub(source, filename=str(path))
    return rendered


def _parse(source: str, filename: str) -> ast.Module:
    """Parses ``source``, turning a syntax error into a located MarkerError."""
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise MarkerError(filename, exc.lineno or 1, f"does not parse: {exc.msg}") from exc


def _marker_lines(source: str, lines: list[str], filename: str) -> dict[int, str]:
    """Maps the line of every well-formed marker to ``BEGIN`` or ``END``.

    Tokens, not text, decide: a marker-looking line inside a string literal is
    not a comment. Any other occurrence of marker text is an error, which is
    what guarantees that no marker text survives into a stub.
    """
    markers: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            row, col = token.start
            if (token.type == tokenize.COMMENT and token.string.rstrip() in (BEGIN, END)
                    and not lines[row - 1][:col].strip()):
                markers[row] = token.string.rstrip()
    except (tokenize.TokenError, SyntaxError) as exc:
        raise MarkerError(filename, 1, f"cannot be tokenized: {exc}") from exc
    for lineno, line in enumerate(lines, start=1):
        if lineno not in markers and any(text in line for text in _MARKER_TEXT):
            raise MarkerError(filename, lineno, f"a solution marker must be a comment alone on its "
                              f"line, exactly '{BEGIN}' or '{END}' (indentation allowed)")
    return markers


def _pair_markers(markers: dict[int, str], filename: str) -> list[_Block]:
    """Pairs BEGIN and END markers into flat, ordered blocks."""
    blocks: list[_Block] = []
    opened: int | None = None
    for lineno in sorted(markers):
        if markers[lineno] == BEGIN:
            if opened is not None:
                raise MarkerError(filename, lineno, f"nested '{BEGIN}': the block opened on line "
                                  f"{opened} is not closed yet")
            opened = lineno
        elif opened is None:
            raise MarkerError(filename, lineno, f"'{END}' without a '{BEGIN}' before it")
        else:
            blocks.append(_Block(opened, lineno))
            opened = None
    if opened is not None:
        raise MarkerError(filename, opened, f"'{BEGIN}' is never closed by '{END}'")
    return blocks


def _resolve_targets(
    tree: ast.Module, lines: list[str], blocks: list[_Block], filename: str
) -> list[_Target]:
    """Finds, for each block, the function it belongs to.

    The blocks are replaced in a probe copy by a ``raise`` on the BEGIN line
    and blank lines below it, so line numbers stay those of the source. The
    parser then decides where each ``raise`` lands: that settles "whole
    statements inside a function body" without re-implementing Python's
    indentation rules.
    """
    probe = list(lines)
    for block in blocks:
        first = lines[block.begin - 1]
        probe[block.begin - 1] = f"{_indent(first)}raise NotImplementedError{_newline(first)}"
        for index in range(block.begin, block.end):
            probe[index] = _newline(lines[index])
    try:
        probe_tree = ast.parse("".join(probe), filename=filename)
    except SyntaxError as exc:
        lineno = max((b.begin for b in blocks if b.begin <= (exc.lineno or 0)),
                     default=blocks[0].begin)
        raise MarkerError(filename, lineno, "a solution block must hold whole statements of a "
                          f"function body (without it the file reads: {exc.msg})") from exc
    raises = _raises_in_scopes(probe_tree)
    docstrings = {(node.lineno, node.col_offset): ast.get_docstring(node, clean=False)
                  for node in ast.walk(tree) if isinstance(node, _FUNCTIONS)}
    return [_target(block, raises, docstrings, lines, filename) for block in blocks]


def _target(
    block: _Block,
    raises: _Raises,
    docstrings: dict[tuple[int, int], str | None],
    lines: list[str],
    filename: str,
) -> _Target:
    """Checks where one block's probe ``raise`` landed and names its function."""
    found = raises.get(block.begin)
    if found is None or found[0].col_offset != len(_indent(lines[block.begin - 1])):
        raise MarkerError(filename, block.begin,
                          "a solution block must hold whole statements of a function body")
    _, scopes = found
    if not scopes or not isinstance(scopes[-1], _FUNCTIONS):
        where = f"the body of class {scopes[-1].name}" if scopes else "module level"
        raise MarkerError(filename, block.begin,
                          f"a solution block must be inside a function body, not at {where}")
    function = scopes[-1]
    qualname = _qualname(scopes)
    docstring = ast.get_docstring(function, clean=False)
    if docstring != docstrings.get((function.lineno, function.col_offset)):
        raise MarkerError(filename, block.begin, f"a solution block must come after the "
                          f"docstring of {qualname}: the stub keeps the docstring")
    return _Target(qualname, _first_sentence(docstring))


def _raises_in_scopes(tree: ast.Module) -> _Raises:
    """Maps each ``raise`` statement's line to it and its enclosing defs/classes."""
    found: _Raises = {}

    def visit(node: ast.AST, scopes: tuple[_Scope, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Raise):
                found.setdefault(child.lineno, (child, scopes))
            visit(child, scopes + (child,) if isinstance(child, _SCOPES) else scopes)

    visit(tree, ())
    return found


def _qualname(scopes: tuple[_Scope, ...]) -> str:
    """Builds Python's ``__qualname__`` for the innermost scope.

    Matching ``__qualname__`` exactly (``outer.<locals>.inner`` included)
    keeps the message unambiguous and checkable against the live function.
    """
    parts: list[str] = []
    for index, node in enumerate(scopes):
        parts.append(node.name)
        if isinstance(node, _FUNCTIONS) and index < len(scopes) - 1:
            parts.append("<locals>")
    return ".".join(parts)


def _first_sentence(docstring: str | None) -> str:
    """Returns the docstring's first sentence on one line, or a fallback.

    The summary line of a Google-style docstring says what the function does,
    which is exactly the instruction a student needs in the error message.
    """
    if not docstring or not docstring.strip():
        return _FALLBACK_INSTRUCTION
    paragraph = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    text = " ".join(paragraph.split())
    match = re.match(r"(.+?[.!?])(?=\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) > _MAX_INSTRUCTION:
        sentence = sentence[: _MAX_INSTRUCTION - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    return sentence or _FALLBACK_INSTRUCTION


def _indent(line: str) -> str:
    """Returns the line's leading whitespace, reused verbatim for the stub lines."""
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def _newline(line: str) -> str:
    """Returns the line's own ending (``\\r\\n``, ``\\n`` or none at end of file)."""
    stripped = line.rstrip("\r\n")
    return line[len(stripped):]
