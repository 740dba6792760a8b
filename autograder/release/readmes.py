"""The READMEs of a release: one per assignment, one per bundle.

An assignment's README is what a student reads before opening the stub: what
it teaches (``Assignment.goals``), what to implement (read from the reference
solution with :mod:`ast`, so a renamed function or a new method shows up
without anyone editing prose), how it is graded (the check declarations, as
``docs/checks.md`` reads them, grouped under the part of the module they are
about), hints, and how to run ``torchgrade check``. Only text from outside the
solution blocks (signatures and docstring summaries) is used, so a README
cannot leak a solution; the bundle's verification checks that anyway.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder import __version__
from autograder.layout import read_solution
from autograder.registry import Assignment
from autograder.release import checks_table, wheel, workflows
from autograder.release.docstrings import summary
from autograder.release.templates import render
from autograder.results.feedback import SYMBOLS

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class CheckCommand:
    """How a student runs ``torchgrade check`` where the files land.

    The command is the same in both places (``check`` finds the files and a
    bundle's snapshots itself); only the folder to run it from differs.

    Attributes:
        where: The folder to run it from, as a phrase in a sentence.
    """

    where: str


WORKING_COPY = CheckCommand("the folder that holds `assignments/`")
BUNDLE = CheckCommand("the top folder of the course (the one that holds `snapshots/`)")


@dataclass(frozen=True)
class Part:
    """A top-level function or class of the student's module.

    Attributes:
        name: Its name, as checks name it in ``@check(part=...)``.
        signature: ``def f(x: Tensor) -> Tensor`` or ``class C(nn.Module)``.
        summary: The first line of its docstring.
        methods: For a class, its public and special methods.
    """

    name: str
    signature: str
    summary: str
    methods: tuple[Part, ...] = ()


@dataclass(frozen=True)
class CheckRow:
    """One check as a student sees it: hidden ones show only their points."""

    short: str
    points: str
    what: str


@dataclass(frozen=True)
class Section:
    """A part with the checks that grade it (``part`` None: the whole module)."""

    part: Part | None
    checks: tuple[CheckRow, ...]


def outline(source: str, *, filename: str) -> tuple[Part, ...]:
    """The public top-level functions and classes of ``source``, in order.

    Private names (``_helper``) are the author's business, not the student's
    task, so they are left out; a class lists its special methods
    (``__init__``, ``__getitem__``) because those are what a student writes.
    """
    parts = []
    for node in ast.parse(source, filename=filename).body:
        if node_name := _public_name(node):
            if isinstance(node, ast.ClassDef):
                methods = tuple(_function_part(child) for child in node.body
                                if isinstance(child, _DEFS) and _public_name(child))
                parts.append(Part(node_name, _class_signature(node), summary(node), methods))
            elif isinstance(node, _DEFS):
                parts.append(_function_part(node))
    return tuple(parts)


def _public_name(node: ast.stmt) -> str | None:
    if not isinstance(node, (*_DEFS, ast.ClassDef)):
        return None
    name = node.name
    special = name.startswith("__") and name.endswith("__")
    return name if special or not name.startswith("_") else None


def _function_part(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Part:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return Part(node.name, f"{prefix} {node.name}({_arguments(node.args)}){returns}",
                summary(node))


def _arguments(args: ast.arguments) -> str:
    """The parameter list as the source writes it (``bias: bool = True``).

    ``ast.unparse(args)`` would print ``bias: bool=True``, which is not how
    anyone formats a signature and would look wrong beside the stub.
    """
    def one(arg: ast.arg, default: ast.expr | None = None, star: str = "") -> str:
        text = star + arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation else "")
        if default is not None:
            text += f" = {ast.unparse(default)}" if arg.annotation else f"={ast.unparse(default)}"
        return text

    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    items = [one(arg, default) for arg, default in zip(positional, [*defaults, *args.defaults],
                                                        strict=True)]
    if args.posonlyargs:
        items.insert(len(args.posonlyargs), "/")
    if args.vararg is not None:
        items.append(one(args.vararg, star="*"))
    elif args.kwonlyargs:
        items.append("*")
    items += [one(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults,
                                                        strict=True)]
    if args.kwarg is not None:
        items.append(one(args.kwarg, star="**"))
    return ", ".join(items)


def _class_signature(node: ast.ClassDef) -> str:
    bases = [ast.unparse(base) for base in node.bases]
    bases += [ast.unparse(keyword) for keyword in node.keywords]
    return f"class {node.name}({', '.join(bases)})" if bases else f"class {node.name}"


def sections(parts: Sequence[Part], rows: Sequence[checks_table.CheckDoc]
             ) -> tuple[Section, ...]:
    """Groups the checks under the parts they declare, in the module's order.

    A check whose ``part`` names nothing in the module (or no part at all)
    goes into a last section for the whole module rather than vanishing: the
    README must account for every point.
    """
    by_part: dict[str | None, list[CheckRow]] = {}
    known = {part.name for part in parts}
    for row in rows:
        key = row.spec.part if row.spec.part in known else None
        by_part.setdefault(key, []).append(_row(row))
    grouped = [Section(part, tuple(by_part.get(part.name, ()))) for part in parts]
    if None in by_part:
        grouped.append(Section(None, tuple(by_part[None])))
    return tuple(grouped)


def _row(row: checks_table.CheckDoc) -> CheckRow:
    hidden = row.spec.visibility == "hidden"
    what = "a hidden check: you see only its points" if hidden else row.spec.name
    return CheckRow(row.spec.id.partition("/")[2], f"{row.spec.points:g}", _cell(what))


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def assignment_readme(assignment: Assignment, *, solutions: Path,
                      check: CheckCommand) -> str:
    """The README of one assignment, from its reference solution and its checks.

    Raises:
        FileNotFoundError: The assignment has no reference solution.
    """
    path, source = read_solution(solutions, assignment)
    parts = outline(source, filename=str(path))
    rows = checks_table.collect(assignment)
    return render("assignment/README.md.j2", assignment=assignment,
                  points=f"{assignment.points:g}", sections=sections(parts, rows),
                  total_checks=len(rows), check=check, symbols=SYMBOLS)


def course_readme(assignments: Sequence[Assignment], *, check: CheckCommand) -> str:
    """The student bundle's top-level README: the course, set-up, checking, submitting."""
    return render("student/README.md.j2", assignments=assignments, check=check,
                  total=f"{sum(a.points for a in assignments):g}", version=__version__,
                  example=assignments[0] if assignments else None,
                  wheel=wheel.bundle_path(), torch_index=workflows.TORCH_INDEX,
                  workflow=workflows.STUDENT_PATH)


def grader_readme(assignments: Sequence[Assignment], *, catalogue: bool = False) -> str:
    """The grader bundle's README: how an instructor grades one submission or a class.

    ``catalogue`` says whether the bundle carries a mistake catalogue.
    """
    return render("grader/README.md.j2", assignments=assignments, version=__version__,
                  total=f"{sum(a.points for a in assignments):g}", catalogue=catalogue)
