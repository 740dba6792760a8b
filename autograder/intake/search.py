"""Finding a submission's files at any depth, and saying what a folder holds.

Students zip the folder above their work, clone a repository into another,
or keep the release under ``hw/student/``; so a submission is searched all
the way down for the exact expected file names. The search never leaves the
submission: links are not followed (a link to a file inside it is used as
that file, anything else is reported), and folders that never hold a
student's work are skipped: hidden ones (``.git``, ``.ipynb_checkpoints``),
``__pycache__``, ``__MACOSX``, ``node_modules`` and virtual environments
(``site-packages``, ``venv``, or any folder holding ``pyvenv.cfg`` or
``conda-meta``). The walk is sorted, so the same folder always gives the
same answer, and bounded, so a home folder passed by mistake is refused
instead of searched for minutes.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from autograder.intake.archive import JUNK, SUBMISSION_ZIP
from autograder.intake.errors import SubmissionError

MAX_SEARCH_ENTRIES = 20_000
"""Files and folders one search visits at most (a release has a few dozen)."""
SKIPPED_FOLDERS = frozenset({"__pycache__", "__MACOSX", "site-packages", "node_modules",
                             "venv"})
_ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")
_LISTED = 8  # entries named in a description
_COUNTED = 1_000  # files counted inside one listed folder


@dataclass
class Walk:
    """What a search of one submission turned up.

    Attributes:
        hits: Expected file name -> the regular files of that name inside the
            submission, in walk order (a link to a file inside counts).
        refused: Expected file or folder name -> ``(path, why)`` for each
            entry of that name that cannot be used (a link that leaves the
            submission, a folder where a file was expected).
        files: Every other regular file seen, to point out near misses.
        complete: False when the walk stopped early (first hit, or the cap).
    """

    hits: dict[str, list[Path]] = field(default_factory=dict)
    refused: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    complete: bool = True


def skipped(folder: Path) -> bool:
    """Whether ``folder`` is never searched: hidden, a cache or a virtual environment."""
    name = folder.name
    if name.startswith(".") or name in SKIPPED_FOLDERS:
        return True
    return any(os.path.lexists(folder / marker) for marker in _ENVIRONMENT_MARKERS)


def walk(root: Path, files: Collection[str], folders: Collection[str] = (), *,
         first_hit: bool = False, limit: int = MAX_SEARCH_ENTRIES) -> Walk:
    """Searches ``root`` (resolved) for the file names ``files`` at any depth.

    Args:
        root: The submission folder, already resolved.
        files: The expected file names (``my_linear.py``, ``my_linear.ipynb``).
        folders: The assignments' folder names: a link of that name that
            leaves the submission is reported, since it was probably meant.
        first_hit: Stop at the first expected file (is this a submission?).
        limit: Entries to visit before giving up (``complete`` is then False).
    """
    found = Walk()
    stack, seen = [root], 0
    while stack:
        try:
            with os.scandir(stack.pop()) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        below: list[Path] = []
        for entry in entries:
            seen += 1
            if seen > limit:
                found.complete = False
                return found
            path = Path(entry.path)
            if _visit(found, entry, path, root, files, folders):
                below.append(path)
            if first_hit and found.hits:
                found.complete = False
                return found
        stack.extend(reversed(below))
    return found


def _visit(found: Walk, entry: os.DirEntry[str], path: Path, root: Path,
           files: Collection[str], folders: Collection[str]) -> bool:
    """Records one entry; returns whether it is a folder to descend into."""
    name = entry.name
    try:
        if entry.is_symlink():
            _visit_link(found, path, root, name in files, name in folders)
            return False
        if entry.is_dir(follow_symlinks=False):
            if name in files:
                found.refused.setdefault(name, []).append((path, "is not a regular file"))
            return not skipped(path)
        regular = entry.is_file(follow_symlinks=False)
    except OSError:
        regular = False
    if name in files:
        if regular:
            found.hits.setdefault(name, []).append(path)
        else:
            found.refused.setdefault(name, []).append((path, "is not a regular file"))
    elif regular:
        found.files.append(path)
    return False


def _visit_link(found: Walk, path: Path, root: Path, is_file_name: bool,
                is_folder_name: bool) -> None:
    """A link is used only as a file inside the submission; folders behind links are
    never entered (their target, if inside, is searched anyway)."""
    try:
        real = path.resolve(strict=True)
        inside, is_dir, is_file = real.is_relative_to(root), real.is_dir(), real.is_file()
    except (OSError, RuntimeError):  # broken, looping or unreadable
        if is_file_name:
            found.refused.setdefault(path.name, []).append((path, "is a broken link"))
        return
    if is_dir:
        if is_folder_name and not inside:
            found.refused.setdefault(path.name, []).append(
                (path, "is a link to a folder outside the submission"))
        return
    if not is_file_name:
        return
    if not inside:
        found.refused.setdefault(path.name, []).append(
            (path, "is a link to a file outside the submission"))
    elif not is_file:
        found.refused.setdefault(path.name, []).append((path, "is not a regular file"))
    else:
        found.hits.setdefault(path.name, []).append(path)


def search(root: Path, files: Collection[str], folders: Collection[str], *, label: str
           ) -> Walk:
    """:func:`walk` to the end, refusing a folder too big to be a submission.

    Raises:
        SubmissionError: more than :data:`MAX_SEARCH_ENTRIES` files and folders.
    """
    found = walk(root, files, folders)
    if not found.complete:
        raise SubmissionError(
            f"{label} holds more than {MAX_SEARCH_ENTRIES:,} files and folders, too many to "
            f"be one submission, so it was not searched. {SUBMISSION_ZIP.advice}"
        )
    return found


def describe(folder: Path) -> str:
    """A short listing of what ``folder`` holds, for a message: ``notes.txt, data/ (3 files)``.

    Returns:
        The listing, or ``"nothing"`` for an empty folder.
    """
    try:
        with os.scandir(folder) as scan:
            names = sorted(entry.name for entry in scan if entry.name not in JUNK)
    except OSError:
        return "nothing that could be read"
    shown = [_described(folder / name) for name in names[:_LISTED]]
    if len(names) > _LISTED:
        shown.append(f"and {len(names) - _LISTED} more")
    return ", ".join(shown) or "nothing"


def _described(path: Path) -> str:
    """One listing entry: a file's name, or a folder's with how many files it holds."""
    if path.is_symlink():
        return f"{path.name} (a link)"
    if not path.is_dir():
        return path.name
    if skipped(path):
        return f"{path.name}/ (not searched)"
    count = 0
    for _, _, names in os.walk(path):
        count += len(names)
        if count >= _COUNTED:
            return f"{path.name}/ ({_COUNTED:,}+ files)"
    if count == 0:
        return f"{path.name}/ (empty)"
    return f"{path.name}/ ({count} file{'s' if count != 1 else ''})"
