"""Jupyter notebooks of each assignment: the student's, and nbgrader's source.

Students who prefer Jupyter get ``<name>/<module>.ipynb`` beside the stub. Its
cells are the stub's own text, cut at the top-level definitions, so grading a
notebook and grading the ``.py`` stub see the same module:

1. a Markdown title: the assignment, its learning goals, how the cells work;
2. a locked, read-only code cell with the module's header (docstring,
   imports, module-level names that are not parts);
3. per *part* (a top-level function or class): a Markdown cell saying what it
   does, its solution cell, and, when checks declare that part
   (``@check(part=...)``), a test cell worth those checks' points that calls
   :func:`autograder.cells.grade_part`;
4. a last test cell for checks of the whole module (``part=None``), if any.

The cells carry nbgrader's metadata (schema 3), so the same layout serves
nbgrader courses: :func:`render_source_notebooks` writes nbgrader's *source*
version, whose solution cells hold the reference code between ``### BEGIN
SOLUTION`` / ``### END SOLUTION`` markers, and ``nbgrader generate_assignment``
turns it into a release itself. Every byte is a function of the solution, the
checks and the templates (cell ids come from names, nothing records a time),
so CI can regenerate the notebooks and diff them.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.layout import read_solution
from autograder.registry import Assignment
from autograder.release import checks_table
from autograder.release.docstrings import summary
from autograder.release.stubs import BEGIN, make_stub
from autograder.release.templates import render

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
HEADER_ID = "header"
MODULE_TEST_ID = "test_module_checks"
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Cell = dict[str, Any]


class NotebookReleaseError(ValueError):
    """A solution and its checks cannot be laid out as a notebook.

    Raised at release, never at grading: e.g. a check declares a part that is
    no top-level definition of the solution, so its points would have no
    test cell to live in.
    """


@dataclass(frozen=True)
class _Segment:
    """Consecutive top-level statements that go into one cell.

    Attributes:
        part: The function or class it defines; None for module code.
        source: Its text, without leading or trailing blank lines.
    """

    part: str | None
    source: str


@dataclass(frozen=True)
class _Part:
    """What a part's Markdown cell and test cell say about it."""

    name: str
    kind: str
    summary: str
    tasks: tuple[str, ...]
    points: float


def render_student_notebooks(*, solutions: Path, assignments: Sequence[Assignment]
                             ) -> dict[str, str]:
    """Renders the student notebook of each assignment: stubs in the solution cells.

    Args:
        solutions: The ``solutions/`` folder, holding ``<name>/<module>.py``.
        assignments: Which assignments to render, in output order.

    Returns:
        ``<name>/<module>.ipynb`` mapped to the notebook's JSON text. The
        solution cells hold the stub (:func:`~autograder.release.stubs.make_stub`):
        no solution text, no marker.

    Raises:
        FileNotFoundError: An assignment has no reference solution.
        MarkerError: A solution's markers are wrong.
        NotebookReleaseError: The checks name a part the solution lacks, or
            their points do not add up to the assignment's.
    """
    return {f"{a.name}/{a.notebook_filename}": _render(a, Path(solutions), student=True)
            for a in assignments}


def render_source_notebooks(*, solutions: Path, assignments: Sequence[Assignment]
                            ) -> dict[str, str]:
    """Renders nbgrader's source notebook of each assignment: the reference, marked.

    ``nbgrader generate_assignment`` clears the ``### BEGIN SOLUTION`` /
    ``### END SOLUTION`` blocks of these notebooks' solution cells, locks the
    read-only and test cells and records checksums: the nbgrader release.

    Args:
        solutions: The ``solutions/`` folder, holding ``<name>/<module>.py``.
        assignments: Which assignments to render, in output order.

    Returns:
        ``<name>/<module>.ipynb`` mapped to the notebook's JSON text.

    Raises:
        FileNotFoundError, MarkerError, NotebookReleaseError: As for
            :func:`render_student_notebooks`.
    """
    return {f"{a.name}/{a.notebook_filename}": _render(a, Path(solutions), student=False)
            for a in assignments}


def _render(assignment: Assignment, solutions: Path, *, student: bool) -> str:
    """One notebook's JSON text; both versions share every cell but the solutions'."""
    path, source = read_solution(solutions, assignment)
    stub = make_stub(source, filename=str(path))  # validates the markers in any case
    segments = _segments(source, str(path))
    if student:
        segments = _same_layout(segments, _segments(stub, f"{path} (stub)"), str(path))
    parts, module_points = _parts(assignment, source, str(path))
    cells: list[Cell] = [_markdown("intro", "notebook/intro.md.j2", assignment=assignment,
                                   points=f"{assignment.points:g}")]
    for index, segment in enumerate(segments):
        if segment.part is None:
            grade_id = HEADER_ID if index == 0 else f"module_code_{index}"
            cells.append(_code(segment.source, cell_id=grade_id.replace("_", "-"),
                               grade_id=grade_id, student=student, locked=True))
        else:
            cells += _part_cells(assignment, parts[segment.part], segment.source, student)
    if module_points:
        cells.append(_markdown("about-module-checks", "notebook/module_checks.md.j2",
                               points=f"{module_points:g}"))
        cells.append(_test_cell(assignment, None, module_points, student))
    _check_grade_ids(cells, str(path))
    # Imported here: nbformat's JSON-schema validators cost a second, and the grading
    # process of a notebook's test cells imports this package (checks_table) but never this.
    import nbformat

    notebook = nbformat.from_dict({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}})
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def _part_cells(assignment: Assignment, part: _Part, source: str, student: bool
                ) -> list[Cell]:
    """The Markdown, solution and (when the part has checks) test cell of a part."""
    points = f"{part.points:g}" if part.points else ""
    cells = [_markdown(f"about-{part.name}", "notebook/part.md.j2", part=part, points=points),
             _code(source, cell_id=f"solution-{part.name}", grade_id=part.name,
                   student=student, solution=True)]
    if part.points:
        cells.append(_test_cell(assignment, part.name, part.points, student))
    return cells


def _test_cell(assignment: Assignment, part: str | None, points: float, student: bool
               ) -> Cell:
    """nbgrader's autograder test cell: it calls grade_part, worth the checks' points."""
    grade_id = f"test_{part}" if part is not None else MODULE_TEST_ID
    source = render("notebook/test_cell.py.j2", assignment=repr(assignment.name),
                    part=repr(part), points=f"{points:g}").strip("\n")
    return _code(source, cell_id=f"test-{part or 'module-checks'}", grade_id=grade_id,
                 student=student, grade=True, points=points)


def _code(source: str, *, cell_id: str, grade_id: str, student: bool, locked: bool = False,
          solution: bool = False, grade: bool = False, points: float = 0.0
          ) -> Cell:
    """A code cell with nbgrader's metadata (schema 3).

    The student version also gets the ``deletable``/``editable`` flags that
    nbgrader's ``LockCells`` would add, so Jupyter keeps students from
    deleting a solution cell or editing a read-only or test cell.
    """
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked or grade,
                            "schema_version": 3, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    metadata: dict[str, Any] = {"nbgrader": meta}
    if student:
        metadata["deletable"] = False
        if not solution:
            metadata["editable"] = False
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": metadata,
            "outputs": [], "source": source}


def _markdown(cell_id: str, template: str, **context: Any) -> Cell:
    """A Markdown cell: the template's text, without the blank lines around it."""
    return {"cell_type": "markdown", "id": cell_id, "metadata": {},
            "source": render(template, **context).strip("\n")}


def _segments(source: str, filename: str) -> list[_Segment]:
    """Cuts a module into cells: one per top-level definition, module code between.

    Comment lines right above a definition go with it; the lines after a
    statement, up to the next one, stay with it. Consecutive module-level
    statements (imports, constants) share one cell.
    """
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    starts = [_start(node, lines) for node in tree.body]
    ranges: list[tuple[str | None, int, int]] = []  # part, first line, end (0-based)
    for index, node in enumerate(tree.body):
        begin = 0 if index == 0 else starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        part = node.name if isinstance(node, _DEFS) else None
        if part is not None and any(part == seen for seen, _, _ in ranges):
            raise NotebookReleaseError(f"{filename}:{node.lineno}: {part} is defined twice at "
                                       "the top level; a notebook gives each part one cell")
        if part is None and ranges and ranges[-1][0] is None:
            begin = ranges.pop()[1]
        ranges.append((part, begin, end))
    return [_Segment(part, "\n".join(_trim(lines[begin:end]))) for part, begin, end in ranges]


def _start(node: ast.stmt, lines: list[str]) -> int:
    """0-based first line of a statement, its decorators and comments above it."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    return first


def _trim(lines: list[str]) -> list[str]:
    """Drops blank lines at both ends (a cell starts and ends with code)."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _same_layout(source: list[_Segment], stub: list[_Segment], filename: str
                 ) -> list[_Segment]:
    """Returns the stub's segments after checking they match the source's, cell for cell.

    ``make_stub`` only rewrites function bodies, so this holds by
    construction; the check makes a broken assumption an error rather than a
    notebook whose cells do not line up with nbgrader's source.
    """
    if [s.part for s in source] != [s.part for s in stub]:
        raise NotebookReleaseError(f"{filename}: the stub's top-level definitions differ "
                                   "from the solution's")
    return stub


def _parts(assignment: Assignment, source: str, filename: str
           ) -> tuple[dict[str, _Part], float]:
    """Describes each part and adds up its checks' points.

    Returns:
        Part name -> its description, and the points of the checks of the
        whole module (``part=None``).

    Raises:
        NotebookReleaseError: A check names a part the module does not define,
            or the checks' points do not add up to the assignment's.
    """
    tree = ast.parse(source, filename=filename)
    nodes = {node.name: node for node in tree.body if isinstance(node, _DEFS)}
    specs = [row.spec for row in checks_table.collect(assignment)]
    points: dict[str | None, float] = {}
    for spec in specs:
        if spec.part is not None and spec.part not in nodes:
            raise NotebookReleaseError(
                f"{assignment.name}: check {spec.id} declares part={spec.part!r}, but "
                f"{filename} defines no top-level function or class of that name "
                f"(it defines: {', '.join(nodes) or 'nothing'})")
        points[spec.part] = points.get(spec.part, 0.0) + spec.points
    total = sum(points.values())
    if abs(total - assignment.points) > 1e-9:
        raise NotebookReleaseError(f"{assignment.name}: its checks are worth {total:g} points, "
                                   f"not the assignment's {assignment.points:g}")
    begins = [number for number, line in enumerate(source.splitlines(), start=1)
              if line.strip() == BEGIN]
    parts = {name: _Part(name, "class" if isinstance(node, ast.ClassDef) else "function",
                         summary(node), _tasks(node, begins), points.get(name, 0.0))
             for name, node in nodes.items()}
    return parts, points.get(None, 0.0)


def _tasks(node: ast.stmt, begins: list[int]) -> tuple[str, ...]:
    """Qualified names of the functions in ``node`` that hold a solution block."""
    functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []

    def visit(scope: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(scope):
            if isinstance(child, _DEFS):
                name = f"{prefix}{child.name}"
                if isinstance(child, _FUNCTIONS):
                    functions.append((name, child))
                visit(child, name + ("." if isinstance(child, ast.ClassDef) else ".<locals>."))

    module = ast.Module(body=[node], type_ignores=[])
    visit(module, "")
    tasks: list[str] = []
    for line in begins:
        around = [(f.lineno, name) for name, f in functions
                  if f.lineno <= line <= (f.end_lineno or f.lineno)]
        if around and max(around)[1] not in tasks:
            tasks.append(max(around)[1])
    return tuple(tasks)


def _check_grade_ids(cells: Sequence[Cell], filename: str) -> None:
    """nbgrader refuses a notebook with two cells of one ``grade_id``: so do we, earlier."""
    seen: set[str] = set()
    for cell in cells:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id is not None and grade_id in seen:
            raise NotebookReleaseError(f"{filename}: two notebook cells would have the nbgrader "
                                       f"grade_id {grade_id!r}; rename the part that clashes")
        if grade_id is not None:
            seen.add(grade_id)

