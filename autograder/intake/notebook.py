"""Turn a student's Jupyter notebook into plain Python source.

This runs in the trusted judge, which never executes student code: it only
produces text that the sandbox later loads like any ``.py`` submission. A
notebook's code cells are its code, in order. IPython syntax is not Python,
and magics and shell escapes (``!pip install``, ``%%bash``) must never run
during grading, so each one is replaced by inert Python (``pass``, ``None``
or a comment) at the same indentation. That keeps the module importable and
the student's own code lines intact, and a header comment before every cell
lets an error's line number be traced back to the cell it came from.

The rewriting is line-based, like IPython's own, but it tracks open brackets,
triple-quoted strings and backslash continuations, so a ``!`` or ``%`` that
is part of an expression (``a != b``, ``x % 2``) or of a string is never
touched.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import nbformat

_PREAMBLE = (
    "# Python source of a Jupyter notebook's code cells, extracted by torchgrade.\n"
    "# IPython magics, shell commands and help requests were made inert: they never run.\n"
)
_RESAVE = (
    "Open it in Jupyter (or VS Code), save it again and resubmit, "
    "or submit your code as a .py file instead."
)
# `files = !ls`, `t = %timeit -o f()`, `a, b = !cmd`: Python never allows `!`
# or `%` right after a plain `=`, so this cannot match ordinary code.
_ASSIGN_FROM_MAGIC = re.compile(
    r"^(?P<targets>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]"
)
_SKIPPED = "# torchgrade: not run"
# A test cell calls the grader (autograder.cells), which must never run inside a sandbox.
_IMPORTS_CELLS = re.compile(
    r"^[ \t]*(?:from[ \t]+autograder\.cells[ \t]+import\b"
    r"|from[ \t]+autograder[ \t]+import\b[^\n#]*\bcells\b"
    r"|import[ \t]+[^\n#]*\bautograder\.cells\b)",
    re.MULTILINE,
)


class NotebookError(Exception):
    """A notebook that cannot be turned into source.

    Its ``str()`` is written for the student who submitted the file: what is
    wrong with it and what to do about it, without a traceback.
    """


def notebook_to_source(path: Path) -> str:
    """Returns the code cells of the notebook at ``path`` as one Python module.

    Each code cell is preceded by ``# --- notebook cell N ---`` (``N`` counts
    every cell, markdown included, from 1, as Jupyter shows them) so that a
    line number in a traceback leads back to the cell. Markdown and raw cells
    are skipped; magics, shell escapes and help requests become inert lines.
    Test cells are skipped too, keeping only their header and a comment: an
    nbgrader grade-only cell (``grade`` and not ``solution``) or a cell that
    imports :mod:`autograder.cells`. They grade the notebook file, which is
    the judge's work and must never start from inside a sandbox.

    Args:
        path: The ``.ipynb`` file; only read, never executed.

    Returns:
        The source, ending with a newline; the same notebook always gives
        the same text.

    Raises:
        NotebookError: if the file cannot be read or is not a notebook.
    """
    notebook = _read_notebook(Path(path))
    parts = [_PREAMBLE]
    for number, source, test_cell in _code_cells(notebook, Path(path).name):
        body = [f"{_SKIPPED}: {test_cell}"] if test_cell else _convert_cell(source)
        lines = [f"# --- notebook cell {number} ---", *body, ""]
        parts.append("\n".join(lines) + "\n")
    return "".join(parts).rstrip("\n") + "\n"


def _read_notebook(path: Path) -> dict[str, Any] | nbformat.NotebookNode:
    """Reads and upgrades a notebook to format 4, explaining every failure.

    A version-4 notebook, nearly every one, is plain JSON whose cells are all
    that grading reads; only other versions go through nbformat, whose
    import (JSON-schema validators included) costs seconds.
    """
    name = path.name
    try:
        # utf-8-sig: editors on Windows sometimes save with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise NotebookError(
            f"{name} is not a notebook: it is not a UTF-8 text file, so it cannot be valid "
            f"notebook JSON. {_RESAVE}"
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise NotebookError(f"Could not read {name} ({reason}). {_RESAVE}") from None
    if not text.strip():
        raise NotebookError(f"{name} is empty, so it holds no notebook. {_RESAVE}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(_not_json_message(name, exc)) from None
    except (ValueError, RecursionError):
        raise NotebookError(_unreadable_message(name, text)) from None
    if isinstance(data, dict) and data.get("nbformat") == 4 and isinstance(
            data.get("cells"), list):
        return data
    import nbformat

    try:
        with warnings.catch_warnings():
            # Missing cell ids and similar nits are fixed by nbformat; they
            # are not the student's problem and must not clutter the output.
            warnings.simplefilter("ignore")
            notebook = nbformat.read(io.StringIO(text), as_version=4)
    except nbformat.reader.NotJSONError as exc:
        raise NotebookError(_not_json_message(name, exc.__cause__)) from None
    except Exception:  # nbformat raises many types for a malformed file
        raise NotebookError(_unreadable_message(name, text)) from None
    if not isinstance(notebook.get("cells"), list):
        raise NotebookError(_unreadable_message(name, text))
    return notebook


def _not_json_message(name: str, cause: BaseException | None) -> str:
    """Says where the JSON broke, which often shows a bad merge or hand edit."""
    where = ""
    if isinstance(cause, json.JSONDecodeError):
        where = f" (line {cause.lineno}, column {cause.colno}: {cause.msg})"
    return (
        f"{name} is not valid JSON{where}, so it cannot be read as a notebook. This happens "
        f"when a notebook is edited in a text editor, merged by git or saved incompletely. "
        f"{_RESAVE}"
    )


def _unreadable_message(name: str, text: str) -> str:
    """Explains JSON that nbformat rejected: an old format or not a notebook."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # e.g. nested too deeply to parse
        data = None
    major = data.get("nbformat") if isinstance(data, dict) else None
    if isinstance(major, int) and not isinstance(major, bool) and major < 4:
        return (
            f"{name} uses the old notebook format version {major}, which could not be "
            f"upgraded to version 4. Open it in a current Jupyter, which converts it, "
            f"save it and resubmit, or submit your code as a .py file instead."
        )
    if isinstance(major, int) and not isinstance(major, bool) and major > 4:
        return (
            f"{name} uses notebook format version {major}, which is newer than this "
            f"grader reads (version 4). Save it as a version 4 notebook, or submit "
            f"your code as a .py file instead."
        )
    return (
        f"{name} is valid JSON but not a Jupyter notebook (it has no proper list of "
        f"cells). Make sure you submit the .ipynb file that Jupyter saved. {_RESAVE}"
    )


def _code_cells(notebook: dict[str, Any] | nbformat.NotebookNode, name: str
                ) -> Iterator[tuple[int, str, str | None]]:
    """Yields ``(1-based cell number, source, why it is a test cell)`` per code cell.

    The last item is None for a cell that is not a test cell.
    """
    for number, cell in enumerate(notebook["cells"], start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(
                f"{name} is not a valid notebook: cell {number} has no cell type. {_RESAVE}"
            )
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(
                f"{name} is not a valid notebook: the code of cell {number} is not text. {_RESAVE}"
            )
        yield number, source, _test_cell(cell, source)


def _test_cell(cell: dict[str, Any], source: str) -> str | None:
    """Says why a code cell is a test cell, which grading skips; None if it is not one."""
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    if isinstance(nbgrader, dict) and nbgrader.get("grade") and not nbgrader.get("solution"):
        return "this is an nbgrader test cell (grade only), so it was skipped."
    if _IMPORTS_CELLS.search(source):
        return "this cell imports autograder.cells (a notebook test cell), so it was skipped."
    return None


def _convert_cell(source: str) -> list[str]:
    """Rewrites one code cell's IPython syntax into inert Python, line by line."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first.split()[0]
        return [f"{_SKIPPED}: this cell starts with the cell magic {magic}, so it was skipped."]
    out: list[str] = []
    state = _ScanState()
    in_magic = False  # a magic or shell line ending in `\` continues on the next
    for line in lines:
        if in_magic:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}{_SKIPPED} (continued): {line.strip()}")
            in_magic = line.endswith("\\")
            continue
        replacement = _replace_ipython_line(line, state) if state.at_statement_start else None
        if replacement is None:
            state.feed(line)
            out.append(line)
        else:
            out.append(replacement)
            in_magic = line.endswith("\\")
    while out and not out[-1].strip():
        out.pop()
    return out


def _replace_ipython_line(line: str, state: _ScanState) -> str | None:
    """Returns the inert stand-in for an IPython-only line, or None for Python.

    Only called at the start of a statement: elsewhere ``!`` and ``%`` belong
    to an expression or a string.
    """
    stripped = line.strip()
    indent = line[: len(line) - len(line.lstrip())]
    if stripped.startswith(("!", "%")):
        return f"{indent}pass  {_SKIPPED}: {stripped}"
    assignment = _ASSIGN_FROM_MAGIC.match(stripped)
    if assignment:
        targets = [t.strip() for t in assignment["targets"].split(",")]
        return f"{indent}{' = '.join(targets)} = None  {_SKIPPED}: {stripped}"
    probe = state.copy()
    code = line[: probe.feed(line)].strip()
    if code.startswith("?") or (code.endswith("?") and probe.at_statement_start):
        return f"{indent}pass  {_SKIPPED} (help request): {stripped}"
    return None


@dataclass
class _ScanState:
    """Where a cell's scan stands between physical lines.

    Enough of Python's tokenizer to know whether a line starts a new
    statement: open brackets, an open string, a trailing backslash.
    """

    depth: int = 0
    quote: str | None = None
    continued: bool = False

    @property
    def at_statement_start(self) -> bool:
        """True when the next line begins a statement (not a continuation)."""
        return self.depth == 0 and self.quote is None and not self.continued

    def copy(self) -> _ScanState:
        """Returns an independent copy, to look ahead without committing."""
        return _ScanState(self.depth, self.quote, self.continued)

    def feed(self, line: str) -> int:
        """Advances over one physical line; returns where its comment starts."""
        i, end, comment = 0, len(line), len(line)
        self.continued = False
        while i < end:
            if self.quote is not None:
                if line[i] == "\\":
                    i += 2
                elif line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                else:
                    i += 1
                continue
            char = line[i]
            if char == "#":
                comment = i
                break
            if char in "\"'":
                triple = line[i : i + 3]
                self.quote = triple if triple in ('"""', "'''") else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        escaped_newline = i > end  # a backslash escaped the line break
        if self.quote is not None and len(self.quote) == 1 and not escaped_newline:
            self.quote = None  # unterminated one-line string: Python will say so
        self.continued = self.quote is None and comment == end and line.endswith("\\")
        return comment
