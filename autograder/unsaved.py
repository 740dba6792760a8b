"""Unsaved notebook edits: the code a kernel ran against the notebook file as saved.

A notebook's test cells grade the saved file (:mod:`autograder.cells`), so a
student who edits and runs a cell without saving sees the old code graded:
a correct ``MyLinear`` live in the kernel, and ``TODO`` in the feedback.
This module tells that case apart: it compares the top-level definitions
(functions and classes) that the kernel's input history made with those
of the saved file's code cells.

The kernel may have run cells in any order, some more than once, and cells
that were since deleted; what it holds is the last definition of each name
it ran. A name whose last definition differs from the saved file's, or that
the saved file does not define, means the file is not what the kernel runs.
Both sides go through IPython's own input transformer (magics and ``!``
lines become calls that are never made here) and are compared as syntax
trees, so whitespace, comments and the test cells change nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A test cell calls the grader: it defines nothing to compare, and it is not the student's code.
_TEST_CELL = re.compile(r"\bautograder\.cells\b|\bgrade_part\s*\("
                        r"|\bfrom\s+autograder\s+import\b[^\n#]*\bcells\b")
_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def kernel_history() -> tuple[str, ...] | None:
    """The cells the running IPython kernel executed, raw and in order; None outside one.

    It reads the shell's history manager, not ``In``, which a student may
    have rebound.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    manager = getattr(shell, "history_manager", None)
    raw = getattr(manager, "input_hist_raw", None)
    if not isinstance(raw, list):
        return None
    return tuple(cell for cell in raw if isinstance(cell, str))


def saved_code_cells(notebook: Mapping[str, Any]) -> list[str]:
    """The sources of a saved notebook's code cells that are not test cells, in order."""
    cells = notebook.get("cells")
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        if isinstance(nbgrader, dict) and nbgrader.get("grade") and not nbgrader.get(
                "solution"):
            continue  # an nbgrader test cell: grade only
        source = cell.get("source", "")
        sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def differences(saved: Sequence[str], ran: Sequence[str]) -> tuple[str, ...]:
    """What the kernel holds that the saved file does not, one sentence per name.

    Args:
        saved: The saved notebook's code cells (:func:`saved_code_cells`).
        ran: The cells the kernel executed, in order (:func:`kernel_history`).

    Returns:
        Nothing when every definition the kernel made is the saved file's;
        otherwise, e.g. "`MyLinear` in the kernel differs from the saved
        notebook's", in the order the kernel last defined them.
    """
    on_disk = _definitions(saved)
    found = []
    for name, tree in _definitions(ran).items():
        if name not in on_disk:
            found.append(f"`{name}` is defined in the kernel but not in the saved notebook")
        elif on_disk[name] != tree:
            found.append(f"`{name}` in the kernel differs from the saved notebook's")
    return tuple(found)


def _definitions(cells: Iterable[str]) -> dict[str, str]:
    """Each top-level function or class name -> its last definition, as a syntax tree dump."""
    transform = _transformer()
    defined: dict[str, str] = {}
    for cell in cells:
        if not cell.strip() or _TEST_CELL.search(cell):
            continue
        try:
            tree = ast.parse(transform(cell))
        except Exception:  # a syntax error: it defined nothing in the kernel either
            continue
        for node in tree.body:
            if isinstance(node, _Definition):
                defined.pop(node.name, None)  # re-defined: its last place counts
                defined[node.name] = ast.dump(node, include_attributes=False)
    return defined


def _transformer() -> Any:
    """IPython's cell transformer (magics to calls), or the identity without IPython."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return lambda cell: cell
    return TransformerManager().transform_cell
