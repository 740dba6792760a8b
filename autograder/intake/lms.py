"""The file names of course platforms' "download all submissions" exports.

A learning management system hands an instructor one folder (or zip) for a
whole class, each file renamed to say whose it is:

* Canvas: ``<name>_<userid>_<submissionid>_<original file name>``, with
  ``_LATE`` after the name for a late submission, and ``-1``, ``-2`` … added
  before the extension when a student uploaded a file of the same name again.
* Moodle, flat: ``<Full Name>_<id>_assignsubmission_file_<original file name>``;
  in folders: one ``<Full Name>_<id>_assignsubmission_file_/`` per student,
  holding the original files (``assignsubmission_onlinetext_`` holds text typed
  into Moodle, never code, and is left out).

This module only reads names: :func:`group_files` says which files are whose
and under which original name, keeping the latest upload of each name, and
:func:`moodle_folder` reads a Moodle folder's name. Copying files anywhere is
the caller's business (:mod:`autograder.intake.classroom`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

_CANVAS = re.compile(
    r"^(?P<name>.+?)(?:_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
_MOODLE_FILE = re.compile(
    r"^(?P<name>.+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
_MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_$")
_RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)$")


@dataclass(frozen=True)
class Upload:
    """One file of an export, read from its name.

    Attributes:
        student: What tells students apart (the platform's user id).
        label: The student's name as the platform wrote it.
        original: The file's name as the student uploaded it.
        order: Later uploads compare greater: ``(re-upload number, submission id)``.
        source: The file in the export.
        graded: False for what is never code (Moodle's online text).
    """

    student: str
    label: str
    original: str
    order: tuple[int, int]
    source: Path
    graded: bool = True


@dataclass(frozen=True)
class Group:
    """One student's files of a flat export.

    Attributes:
        label: The student's name as the platform wrote it.
        files: Original file name -> the export's file, one per name.
        note: What was left out (earlier uploads), or "".
    """

    label: str
    files: tuple[tuple[str, Path], ...]
    note: str = ""


def read_upload(source: Path) -> Upload | None:
    """Reads a Canvas or Moodle export file name; None when it is neither."""
    moodle = _MOODLE_FILE.match(source.name)
    if moodle is not None:
        return Upload(moodle["user"], moodle["name"], moodle["file"], (0, 0), source,
                      graded=moodle["plugin"] == "file")
    canvas = _CANVAS.match(source.name)
    if canvas is not None:
        return Upload(canvas["user"], canvas["name"], canvas["file"],
                      (0, int(canvas["submission"])), source)
    return None


def moodle_folder(name: str) -> tuple[str, str, bool] | None:
    """Reads a Moodle per-student folder name.

    Returns:
        ``(user id, full name, holds files)``, or None for another name.
    """
    found = _MOODLE_FOLDER.match(name)
    if found is None:
        return None
    return found["user"], found["name"], found["plugin"] == "file"


def group_files(files: Sequence[Path], expected: Collection[str]) -> list[Group] | None:
    """Groups a flat export's files per student, under their original names.

    Args:
        files: Every visible file of the export.
        expected: The assignments' file names: a re-upload suffix is taken
            off a name that then matches one (``my_linear-1.py``), or that
            another of the student's files has.

    Returns:
        One group per student, or None unless every file is named like an export's.
    """
    uploads = [read_upload(path) for path in files]
    if not uploads or any(upload is None for upload in uploads):
        return None
    by_student: dict[str, list[Upload]] = {}
    for upload in uploads:
        if upload is not None and upload.graded:
            by_student.setdefault(upload.student, []).append(upload)
    return [_latest(found, expected) for _, found in sorted(by_student.items())]


def _latest(uploads: list[Upload], expected: Collection[str]) -> Group:
    """A student's files with, for each original name, only the latest upload.

    Canvas's ``-N`` suffix is taken off only where it marks a re-upload: the
    bare name is an assignment's file or another upload has the same bare
    name. ``model-2.py`` alone keeps its name.
    """
    bases = Counter(_resubmission(upload.original)[0] for upload in uploads)
    by_name: dict[str, list[tuple[tuple[int, int], Upload]]] = {}
    for upload in uploads:
        base, number = _resubmission(upload.original)
        if number and (base in expected or bases[base] > 1):
            by_name.setdefault(base, []).append(((number, upload.order[1]), upload))
        else:
            by_name.setdefault(upload.original, []).append((upload.order, upload))
    files, left_out = [], []
    for name, versions in sorted(by_name.items()):
        versions.sort(key=lambda version: (version[0], version[1].source.name))
        latest = versions[-1][1].source
        files.append((name, latest))
        if len(versions) > 1:
            earlier = len(versions) - 1
            left_out.append(f"{name} ({latest.name}; {earlier} earlier "
                            f"upload{'s' if earlier > 1 else ''} left out)")
    note = f"Graded the latest upload of {', '.join(left_out)}." if left_out else ""
    return Group(label=min(upload.label for upload in uploads), files=tuple(files), note=note)


def _resubmission(original: str) -> tuple[str, int]:
    """``my_linear-2.py`` -> ``("my_linear.py", 2)``; a name without the suffix -> 0."""
    stem, dot, extension = original.rpartition(".")
    if not dot:
        stem, extension = original, ""
    found = _RESUBMITTED.match(stem)
    if found is None:
        return original, 0
    return found["stem"] + (f".{extension}" if dot else ""), int(found["n"])
