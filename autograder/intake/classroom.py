"""Telling a class folder from one submission, and listing its students.

An instructor grades a whole class in one call, from whatever their course
produces; :func:`find_class` recognises, in this order:

1. **One submission** (returns None): the folder holds assignment files at
   its top, i.e. an expected file (``my_linear.py``) or a folder named like
   an assignment (``02_my_linear/``) sits directly in it. That is the
   release layout of ``assignments/``, a student bundle or a student's
   repository clone. If two or more of its *other* children also look like
   submissions, both readings are possible and a :class:`SubmissionError`
   explains them.
2. **nbgrader**: a folder named ``submitted`` (or a course folder holding
   one) laid out ``submitted/<student>/<assignment>/<notebook>.ipynb``: one
   entry per student folder.
3. **Moodle** per-student folders ``<Full Name>_<id>_assignsubmission_file_/``,
   or a flat **Canvas/Moodle** export of renamed files
   (``<name>_<userid>_<submissionid>_<file>``, see :mod:`autograder.intake.lms`):
   every visible child named so. Flat files are grouped per student into a
   folder under ``workdir`` with their original names.
4. **A class folder** of per-student folders and/or ``.zip`` files (GitHub
   Classroom clones ``hw1-alice/`` included): decided by the children, not
   the folder itself. Each child folder or zip is searched (a zip by its
   table of contents, one level only) for the expected file names at any
   depth; at least two must hold one, and every other child folder or zip
   must be empty (a student who handed in nothing), not hold unrelated
   files. A single such child is one submission in a wrapper folder, and a
   child with unrelated files (``feedback/``, ``data/``) means this is not
   a folder of submissions, so both give None; loose files beside the
   students (``grades.csv``) are ignored.

A zip is extracted (with the caps of a class archive) and read by the same
rules. A student whose folder holds nothing but one zip is graded from that
zip. Labels are the folder name, the zip's stem or the platform's name for the
student, sorted; a label that appears twice (case-insensitively) gets ``-2``,
``-3`` and a note. Everything a caller needs is in :class:`Entry`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.intake import lms
from autograder.intake.archive import CLASS_ZIP, JUNK, extract, member_names, unwrapped
from autograder.intake.errors import SubmissionError
from autograder.intake.search import SKIPPED_FOLDERS, skipped, walk
from autograder.registry import Assignment

_SHOWN = 4  # students named in a description


@dataclass(frozen=True)
class Entry:
    """One student's submission within a class.

    Attributes:
        label: The student as the gradebook shows them (folder name, zip
            stem, LMS name); unique within the class.
        path: A folder or .zip holding that student's work (materialised
            under ``workdir`` when the layout needs it); pass it to
            :func:`autograder.intake.submission.open_submission`, whose own
            label is then replaced by ``label``.
        note: Why the label or the files differ from what was handed in
            (a repeated name, earlier uploads left out), or "".
    """

    label: str
    path: Path
    note: str = ""


@dataclass(frozen=True)
class Student:
    """One student found in a class layout, before anything is copied.

    Attributes:
        label: As :attr:`Entry.label`, not yet made unique.
        path: The folder or zip to grade as it is, or None when ``files``
            must be gathered into a folder first (flat LMS exports).
        files: Original file name -> file to copy, when ``path`` is None.
        note: As :attr:`Entry.note`.
    """

    label: str
    path: Path | None = None
    files: tuple[tuple[str, Path], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Layout:
    """A class recognised in a folder.

    Attributes:
        kind: What it is, for a message: ``a class folder``, ``a Moodle export``.
        description: The same with who is in it: ``a class folder of 3
            submissions (alice/, bob/, carol.zip)``.
        students: Everyone in it, in the folder's order.
    """

    kind: str
    description: str
    students: tuple[Student, ...]


def find_class(path: Path, *, assignments: Sequence[Assignment], workdir: Path
               ) -> list[Entry] | None:
    """The submissions of a class folder or course export at ``path``.

    None when ``path`` is one submission.

    Args:
        path: A folder or ``.zip`` (anything else is one submission, or not one).
        assignments: The assignments whose files make a submission.
        workdir: Where a zip is extracted and a flat export's files gathered;
            the caller cleans it up.

    Returns:
        One entry per student, sorted by label; None when ``path`` is one
        submission (or nothing usable: ``open_submission`` explains that).

    Raises:
        SubmissionError: a class archive that cannot be extracted, a folder
            that reads both as one submission and as a class, or a course
            export that holds no files to grade.
    """
    path = Path(path)
    if path.is_dir():
        layout = detect(path.resolve(), assignments)
        return None if layout is None else _entries(layout, Path(workdir))
    if not (path.is_file() and path.suffix.lower() == ".zip"):
        return None
    folder = extract(path, Path(workdir), CLASS_ZIP)
    layout = detect(unwrapped(folder), assignments, shown=path.name)
    if layout is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return _entries(layout, Path(workdir))


def detect(root: Path, assignments: Sequence[Assignment], *, shown: str | None = None
           ) -> Layout | None:
    """Recognises the layouts of the module docstring in the folder ``root``, copying nothing.

    Args:
        root: A resolved folder.
        assignments: The assignments whose files make a submission.
        shown: How messages name ``root`` (by default its name).

    Raises:
        SubmissionError: as :func:`find_class`.
    """
    shown = shown or f"{root.name}/"
    names = frozenset(n for a in assignments for n in (a.filename, a.notebook_filename))
    folders = frozenset(a.name for a in assignments)
    children = _visible(root)
    tops = [c.name for c in children if c.name in names or (c.name in folders and c.is_dir())]
    if tops:
        _refuse_both_readings(shown, tops, children, names, folders)
        return None
    for reading in (_nbgrader, _moodle_folders, _flat_export, _class_folder):
        layout = reading(root, children, names)
        if layout is not None:
            if not layout.students:
                raise SubmissionError(f"{shown} looks like {layout.kind}, but it holds no "
                                      f"files to grade.")
            return layout
    return None


def _visible(folder: Path) -> list[Path]:
    """The children that can be someone's work: not hidden, junk, caches or environments."""
    try:
        with os.scandir(folder) as scan:
            names = sorted(e.name for e in scan if e.name not in JUNK)
    except OSError:
        return []
    children = [folder / name for name in names if not name.startswith(".")]
    return [c for c in children if not (c.is_dir() and not c.is_symlink() and skipped(c))]


def _kind(child: Path, names: frozenset[str]) -> str:
    """``submission`` (holds an expected file), ``empty``, or ``other``.

    A zip is read by its table of contents only; one that cannot be read
    counts as empty, so that its student gets an entry and, when graded,
    the reason.
    """
    if child.is_dir():  # a link here is the instructor's, so it is followed
        found = walk(child.resolve(), names, first_hit=True)
        if found.hits:
            return "submission"
        if found.complete and not found.files:
            return "empty"
        sole = _sole_zip(child)
        return _kind(sole, names) if sole is not None else "other"
    if child.suffix.lower() != ".zip" or not child.is_file():
        return "other"
    try:
        parts = member_names(child)
    except SubmissionError:
        return "empty"
    if not parts:
        return "empty"
    if any(p[-1] in names and not any(_skipped_name(q) for q in p[:-1]) for p in parts):
        return "submission"
    return "other"


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def _sole_zip(folder: Path) -> Path | None:
    """The zip that is all a folder holds (a student who uploaded one zip), if so."""
    children = _visible(folder)
    if len(children) == 1 and children[0].suffix.lower() == ".zip" and children[0].is_file() \
            and not children[0].is_symlink():
        return children[0]
    return None


def _graded_path(child: Path) -> Path:
    """What to grade for a child: itself, or the one zip its folder holds."""
    return (_sole_zip(child) if child.is_dir() else None) or child


def _refuse_both_readings(shown: str, tops: list[str], children: list[Path],
                          names: frozenset[str], folders: frozenset[str]) -> None:
    """Raises when a folder with assignment files at its top also looks like a class."""
    others = [c for c in children if c.name not in folders and c.name not in names
              and (c.is_dir() or c.suffix.lower() == ".zip")]
    students = [c for c in others if _kind(c, names) == "submission"]
    if len(students) < 2:
        return
    raise SubmissionError(
        f"{shown} reads two ways: as one submission, since it holds "
        f"{_listed([t + ('/' if t in folders else '') for t in tops])} itself, or as a class "
        f"folder, since {_listed([_named(s) for s in students])} each hold assignment files "
        f"too. To grade it as one submission, move those out of it; to grade the class, "
        f"move {_listed(tops)} into the right student's folder."
    )


def _named(child: Path) -> str:
    return f"{child.name}/" if child.is_dir() else child.name


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _nbgrader(root: Path, children: list[Path], names: frozenset[str]) -> Layout | None:
    """``submitted/<student>/<assignment>/<notebook>``, given ``submitted/`` or its course."""
    submitted = root if root.name == "submitted" else root / "submitted"
    if not submitted.is_dir() or submitted.is_symlink():
        return None
    students = [c for c in _visible(submitted) if c.is_dir() and not c.is_symlink()]
    if not any(_kind(student, names) == "submission" for student in students):
        return None
    return Layout("an nbgrader course",
                  f"an nbgrader course whose submitted/ holds {len(students)} students",
                  tuple(Student(s.name, _graded_path(s)) for s in students))


def _moodle_folders(root: Path, children: list[Path], names: frozenset[str]) -> Layout | None:
    """Moodle's ``<Full Name>_<id>_assignsubmission_<plugin>_/`` folders, one per plugin."""
    read = [lms.moodle_folder(c.name) if c.is_dir() else None for c in children]
    if not children or any(r is None for r in read):
        return None
    students = tuple(Student(r[1], _graded_path(c)) for c, r in zip(children, read, strict=True)
                     if r is not None and r[2])
    return Layout("a Moodle export", f"a Moodle export of {len(students)} students' files",
                  students)


def _flat_export(root: Path, children: list[Path], names: frozenset[str]) -> Layout | None:
    """A Canvas or Moodle export of renamed files, grouped per student."""
    if any(c.is_dir() or c.is_symlink() for c in children):
        return None
    groups = lms.group_files(children, names)
    if groups is None:
        return None
    students = tuple(Student(g.label, files=g.files, note=g.note) for g in groups)
    return Layout("a course platform's export",
                  f"a course platform's export of {len(students)} students' files", students)


def _class_folder(root: Path, children: list[Path], names: frozenset[str]) -> Layout | None:
    """Per-student folders and zips: at least two submissions, the rest empty."""
    candidates = [c for c in children if c.is_dir() or c.suffix.lower() == ".zip"]
    kinds = [_kind(c, names) for c in candidates]
    if kinds.count("submission") < 2 or "other" in kinds:
        return None
    students = tuple(Student(c.name if c.is_dir() else c.stem, _graded_path(c))
                     for c in candidates)
    shown = _listed([_named(c) for c in candidates])
    return Layout("a class folder", f"a class folder of {len(students)} submissions ({shown})",
                  students)


def _entries(layout: Layout, workdir: Path) -> list[Entry]:
    """Unique, sorted entries, with flat exports gathered into folders under ``workdir``."""
    students = _unique(layout.students)
    gathered: Path | None = None
    entries = []
    for student in students:
        path = student.path
        if path is None:
            if gathered is None:
                workdir.mkdir(parents=True, exist_ok=True)
                gathered = Path(tempfile.mkdtemp(prefix="class-", dir=workdir)).resolve()
            path = _gather(student, gathered)
        entries.append(Entry(student.label, path, student.note))
    return entries


def _unique(students: Sequence[Student]) -> list[Student]:
    """Sorts by label and makes labels unique: a repeated one gets ``-2``, ``-3`` and a note."""
    ordered = sorted(students, key=lambda s: (s.label.casefold(), s.label, str(s.path),
                                              [str(f) for _, f in s.files]))
    taken = {s.label.casefold() for s in ordered}
    first: dict[str, Student] = {}
    unique = []
    for student in ordered:
        key = student.label.casefold()
        if key not in first:
            first[key] = student
            unique.append(student)
            continue
        number = 2
        while f"{student.label}-{number}".casefold() in taken:
            number += 1
        label = f"{student.label}-{number}"
        taken.add(label.casefold())
        note = (f"Another submission ({_source(first[key])}) is also labelled "
                f"{student.label}, so this one ({_source(student)}) is shown as {label}.")
        unique.append(replace(student, label=label, note=" ".join(filter(None, (note,
                                                                               student.note)))))
    return sorted(unique, key=lambda s: (s.label.casefold(), s.label))


def _source(student: Student) -> str:
    if student.path is not None:
        return student.path.name
    return student.files[0][1].name if student.files else student.label


def _gather(student: Student, into: Path) -> Path:
    """Copies a flat export's files for one student under their original names.

    Returns:
        The student's folder, or the copied zip when one zip is all they sent.
    """
    stem = re.sub(r"[^\w.-]+", "_", student.label).strip("._") or "student"
    number, name = 1, stem
    while (into / name).exists() or (into / f"{name}.zip").exists():
        number += 1
        name = f"{stem}-{number}"
    if len(student.files) == 1 and student.files[0][0].lower().endswith(".zip"):
        target = into / f"{name}.zip"
        shutil.copyfile(student.files[0][1], target)
        return target
    folder = into / name
    folder.mkdir()
    for original, source in student.files:
        # An original name comes from the student: keep it inside the folder.
        safe = original not in (".", "..") and "/" not in original and "\\" not in original
        shutil.copyfile(source, folder / (original if safe else source.name))
    return folder
