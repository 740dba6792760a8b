"""Building the hostile class: one folder (or zip) per student, controls included.

Every student hands in all five assignments: the reference solutions, except
for the attacked file. Controls are graded in the same batch: the reference
solutions twice (first and last, so that an attack's lasting harm shows in
the last), each attacked stub on its own, and each attack's honest code on
its own (see :mod:`tests.adversarial.catalogue`).
"""

from __future__ import annotations

import importlib.util
import json
import py_compile
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.registry import Assignment, discover
from tests.adversarial.catalogue import Attack, fill
from tests.conftest import SOLUTIONS, STUBS

EARLY_CONTROL = "10-control-correct"
LATE_CONTROL = "90-control-correct"


@dataclass(frozen=True)
class Student:
    """One entry of the class folder.

    Attributes:
        label: Its folder (or zip stem) name, which the gradebook shows.
        attack: The attack it carries, or None for a control.
        path: The folder or zip, once built.
    """

    label: str
    attack: Attack | None
    path: Path


def build_class(folder: Path, attacks: Sequence[Attack], values: dict[str, dict[str, str]]
                ) -> dict[str, Student]:
    """Writes every attack's student and every control into ``folder``.

    Args:
        folder: The class folder to create.
        attacks: The attacks to hand in.
        values: Attack name -> its placeholder values.

    Returns:
        Every student by label.
    """
    folder.mkdir(parents=True)
    by_name = {a.name: a for a in discover()}
    students: dict[str, Student] = {}
    for label in (EARLY_CONTROL, LATE_CONTROL):
        students[label] = Student(label, None, _solutions(folder / label))
    for attack in attacks:
        assignment = by_name[attack.target]
        control = folder / attack.control
        if not control.exists():
            path = _solutions(control)
            _write(path / assignment.name / assignment.filename,
                   _base(attack, assignment) + fill(attack.honest, values[attack.name]))
            students[attack.control] = Student(attack.control, None, path)
        students[attack.label] = Student(
            attack.label, attack, _hand_in(folder, attack, assignment, values[attack.name]))
    return students


def controls_only(students: dict[str, Student], folder: Path) -> dict[str, Student]:
    """A copy of the controls alone in ``folder``, to grade them without any attack."""
    folder.mkdir(parents=True)
    alone = {}
    for label, student in students.items():
        if student.attack is None:
            alone[label] = Student(label, None, Path(shutil.copytree(student.path,
                                                                      folder / label)))
    return alone


def _hand_in(folder: Path, attack: Attack, assignment: Assignment, values: dict[str, str]
             ) -> Path:
    """The attack's submission, laid out as its ``layout`` says."""
    base = _base(attack, assignment) + fill(attack.honest, values)
    code = fill(attack.code, values)
    if attack.layout == "zip":
        return _zip(folder / f"{attack.label}.zip", attack, assignment, base,
                    [(fill(member, values), code) for member in attack.members])
    path = _solutions(folder / attack.label)
    target = path / assignment.name / assignment.filename
    if attack.layout == "code":
        _write(target, base + code)
    elif attack.layout == "notebook":
        target.unlink()
        notebook = target.with_name(assignment.notebook_filename)
        notebook.write_text(json.dumps(_notebook([base, *_cells(code)])))
    elif attack.layout == "pycache":
        _write(target, base + code)
        _cache_of_solution(target, assignment)
    elif attack.layout == "beside":
        _write(target, base)
        for name in attack.beside:
            for place in (target.parent, path):
                _write(place / name, code)
    elif attack.layout == "symlink":
        target.unlink()
        target.symlink_to(Path(values["KIT"]) / "solutions" / assignment.name
                          / assignment.filename)
    else:  # symlink-folder
        shutil.rmtree(target.parent)
        target.parent.symlink_to(Path(values["KIT"]) / "solutions" / assignment.name,
                                 target_is_directory=True)
    return path


def _zip(path: Path, attack: Attack, assignment: Assignment, base: str,
         members: list[tuple[str, str]]) -> Path:
    """A zip of a whole submission, plus ``members`` (name, text) as the attack names them."""
    top = attack.label
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(SOLUTIONS.glob("*/*.py")):
            name = f"{top}/{source.parent.name}/{source.name}"
            text = base if source.parent.name == assignment.name else source.read_text()
            archive.writestr(name, text)
        for name, text in members:
            archive.writestr(name, text)
    return path


def _cache_of_solution(target: Path, assignment: Assignment) -> None:
    """Bytecode of the reference solution where Python would look for ``target``'s cache.

    Unchecked-hash caches (PEP 552) are used without comparing them to the
    source, so an importer that read them would run the solution instead.
    """
    source = SOLUTIONS / assignment.name / assignment.filename
    cache = Path(importlib.util.cache_from_source(str(target)))
    for path in (cache, cache.with_name(cache.name.replace(".pyc", ".opt-1.pyc"))):
        py_compile.compile(str(source), cfile=str(path), dfile=str(target), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def _solutions(folder: Path) -> Path:
    """A copy of the reference solutions' Python files (no caches) in ``folder``."""
    for source in sorted(SOLUTIONS.glob("*/*.py")):
        _write(folder / source.parent.name / source.name, source.read_text())
    return folder


def _base(attack: Attack, assignment: Assignment) -> str:
    root = STUBS if attack.base == "stub" else SOLUTIONS
    return (root / assignment.name / assignment.filename).read_text() + "\n\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _cells(text: str) -> list[str]:
    """The cells of an IPython file split by ``# %%`` lines (its header and docstring
    make a first cell of their own)."""
    cells, current = [], []
    for line in text.splitlines(keepends=True):
        if line.strip() == "# %%":
            cells.append("".join(current))
            current = []
        else:
            current.append(line)
    cells.append("".join(current))
    return [cell for cell in cells if cell.strip()]


def _notebook(cells: list[str]) -> dict[str, object]:
    """A minimal nbformat 4 notebook with one code cell per entry."""
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "cells": [{"cell_type": "code", "id": f"cell-{number}", "metadata": {},
                       "execution_count": None, "outputs": [],
                       "source": source.splitlines(keepends=True)}
                      for number, source in enumerate(cells)]}
