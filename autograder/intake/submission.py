"""Resolve what was passed to ``torchgrade grade`` into each assignment's file.

A submission arrives as a folder laid out like the student release, a
``.zip`` of one, or a single ``.py``/``.ipynb``. This module turns any of them
into one :class:`Submission`: which file is graded for which assignment, plus
notes the student should read (two candidates found, a link ignored, a file
named almost right). Only the expected file names are ever picked, so a
``conftest.py``, ``sitecustomize.py``, ``.pth`` or ``torch.py`` that comes
with a submission is never used.

Archives come from students, so extraction trusts nothing in them: unsafe
names (zip-slip) are refused, links are skipped, and the number of entries
and the bytes really written are capped. Everything is explicit: paths come
in as arguments, nothing changes the working directory or global state.
"""

from __future__ import annotations

import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from autograder.intake.copies import choose
from autograder.registry import Assignment

MAX_ZIP_ENTRIES = 2_000  # a release has a handful of files
MAX_ZIP_BYTES = 100 * 1024 * 1024  # compressed or extracted

_MAX_DIRECTORY_BYTES = MAX_ZIP_ENTRIES * 1024  # a zip's table of contents
_CHUNK = 1024 * 1024
_JUNK = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db"})
_EXPECTED = (
    "Expected a submission folder laid out like the student release, a .zip of one, "
    "or a single .py/.ipynb file (with --assignment)."
)
_TRIM = (
    "Submit only your assignment files (.py/.ipynb): leave out datasets, checkpoints "
    "and virtual environments."
)
# What zipfile raises for a damaged or unsupported archive.
_DAMAGED_ZIP = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    ValueError,
    RuntimeError,
    OSError,
)
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # its zip64 counterpart


class SubmissionError(Exception):
    """An input path that cannot be graded at all (the CLI exits with 2).

    Its ``str()`` says what was wrong and what was expected instead.
    """


@dataclass(frozen=True)
class Submission:
    """One student's work, resolved to a file per assignment.

    Attributes:
        label: Name shown in the gradebook: the folder's name, the zip's stem
            or the single file's stem.
        root: The folder searched (for a zip, where it was extracted).
        files: Assignment name -> the student's ``.py`` or ``.ipynb``, only
            for the assignments found.
        notes: Assignment name -> a note for the student about how their
            file was chosen (or why a file was not).
        assignments: The assignments this submission is graded on, in order;
            any without an entry in ``files`` is missing. ``open_submission``
            always fills it.
    """

    label: str
    root: Path
    files: Mapping[str, Path]
    notes: Mapping[str, str] = field(default_factory=dict)
    assignments: tuple[Assignment, ...] = ()

    def __post_init__(self) -> None:
        # Read-only views: a Submission is shared by every check of a run.
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))
        object.__setattr__(self, "notes", MappingProxyType(dict(self.notes)))
        object.__setattr__(self, "assignments", tuple(self.assignments))


def open_submission(
    path: Path,
    *,
    assignments: Sequence[Assignment],
    workdir: Path,
    assignment: Assignment | None = None,
) -> Submission:
    """Resolves a submission folder, zip or single file.

    Args:
        path: What the user passed to ``torchgrade grade``.
        assignments: The assignments to look for.
        workdir: An existing or creatable folder; a zip is extracted into a
            fresh subfolder of it, which the caller cleans up.
        assignment: From ``--assignment``: the assignment a single file is
            graded as. With a folder or zip, only this one is looked for.

    Returns:
        The resolved submission. Missing files are not an error: they score 0.

    Raises:
        SubmissionError: if ``path`` does not exist, is not a folder, ``.zip``,
            ``.py`` or ``.ipynb``, is a broken or unsafe zip, or is a single
            file whose assignment cannot be told.
    """
    path = Path(path)
    wanted = (assignment,) if assignment is not None else tuple(assignments)
    try:
        is_dir, is_file = path.is_dir(), path.is_file()
    except OSError as exc:
        raise SubmissionError(f"Cannot read {path}: {exc.strerror}. {_EXPECTED}") from None
    if is_dir:
        root = path.resolve()
        return _open_directory(root, label=root.name or str(root), assignments=wanted)
    if not is_file:
        what = "does not exist" if not path.exists() else "is not a regular file or folder"
        raise SubmissionError(f"{path} {what}. {_EXPECTED}")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        root = _extract_zip(path, Path(workdir))
        return _open_directory(root, label=path.stem, assignments=wanted)
    if suffix in (".py", ".ipynb"):
        return _open_file(path, tuple(assignments), assignment)
    raise SubmissionError(f"{path.name} is not a folder, .zip, .py or .ipynb file. {_EXPECTED}")


def _open_file(
    path: Path, assignments: tuple[Assignment, ...], assignment: Assignment | None
) -> Submission:
    """A lone file: its assignment comes from ``--assignment`` or its exact name."""
    stem = path.stem
    if assignment is None:
        namesakes = [a for a in assignments if a.module == stem]
        if len(namesakes) != 1:
            known = ", ".join(a.name for a in assignments) or "none"
            raise SubmissionError(
                f"Cannot tell which assignment {path.name} belongs to: only a file named "
                f"exactly like an assignment's file (e.g. my_linear.py) is recognised. "
                f"Pass --assignment NAME (one of: {known})."
            )
        assignment = namesakes[0]
    file = path.parent.resolve() / path.name
    return Submission(stem, file.parent, {assignment.name: file}, {}, (assignment,))


def _open_directory(root: Path, *, label: str, assignments: tuple[Assignment, ...]) -> Submission:
    """Finds each assignment's file in a folder laid out like the release."""
    files: dict[str, Path] = {}
    notes: dict[str, str] = {}
    for assignment in assignments:
        found, note = _find_file(root, assignment)
        if found is not None:
            files[assignment.name] = found
        if note:
            notes[assignment.name] = note
    return Submission(label=label, root=root, files=files, notes=notes, assignments=assignments)


def _find_file(root: Path, assignment: Assignment) -> tuple[Path | None, str]:
    """Returns the file to grade (or None) and a note about the choice.

    Looks in ``<root>/<name>/`` first, then in ``<root>`` itself, and takes
    the first usable candidate; where a folder holds both the ``.py`` and the
    ``.ipynb``, the one with fewer stub bodies left comes first
    (:mod:`autograder.intake.copies`).
    """
    folder = root / assignment.name
    candidates = [
        folder / assignment.filename,
        folder / assignment.notebook_filename,
        root / assignment.filename,
        root / assignment.notebook_filename,
    ]
    usable: list[Path] = []
    remarks: list[str] = []
    for candidate in candidates:
        problem = _unusable_because(candidate, root)
        if problem is None:
            usable.append(candidate)
        elif problem:
            remarks.append(f"Ignored {_shown(candidate, root)}: it {problem}.")
    if len(usable) > 1:
        if usable[0].parent == usable[1].parent and usable[1].suffix == ".ipynb":
            chosen, why = choose(usable[0], usable[1])
            usable.remove(chosen)
            usable.insert(0, chosen)
        else:
            why = "the assignment's folder comes first"
        others = " and ".join(_shown(p, root) for p in usable[1:])
        remarks.insert(
            0,
            f"Found {_shown(usable[0], root)} and also {others}; graded "
            f"{_shown(usable[0], root)}: {why}. Remove the copy you do not want graded.",
        )
    if not usable:
        remarks.extend(_near_misses(root, assignment))
    return (usable[0] if usable else None), " ".join(remarks)


def _unusable_because(candidate: Path, root: Path) -> str | None:
    """Returns None for a usable file, "" when absent, else why it is not used."""
    try:
        if not candidate.exists():
            return "is a broken link" if candidate.is_symlink() else ""
        real = candidate.resolve()
    except OSError:
        return "could not be read"
    if not real.is_relative_to(root):
        return "is a link to a file outside the submission"
    if not real.is_file():
        return "is not a regular file"
    return None


def _near_misses(root: Path, assignment: Assignment) -> list[str]:
    """Names a file that was probably meant, since names must match exactly."""
    module = assignment.module.casefold()
    exact = {assignment.filename, assignment.notebook_filename}
    prefixes = tuple(name.casefold() for name in exact)
    seen: list[str] = []
    for folder in (root / assignment.name, root):
        try:
            if not folder.is_dir() or not folder.resolve().is_relative_to(root):
                continue
            entries = sorted(p.name for p in folder.iterdir())
        except OSError:
            continue
        for name in entries:
            lowered = name.casefold()
            if name in exact or not lowered.startswith(module):
                continue
            if lowered.endswith((".py", ".ipynb")) or lowered.startswith(prefixes):
                seen.append(_shown(folder / name, root))
    if not seen:
        return []
    return [
        f"Expected {assignment.name}/{assignment.filename} (or {assignment.notebook_filename}) "
        f"but found only {', '.join(seen[:5])}: the file name must match exactly."
    ]


def _shown(path: Path, root: Path) -> str:
    """A path as the student knows it: relative to their submission."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _extract_zip(archive: Path, workdir: Path) -> Path:
    """Extracts a zip safely; returns the folder to search.

    That is the extraction folder, or the archive's single top-level folder
    when it has one (students often zip the folder rather than its contents).
    """
    try:
        _check_archive_size(archive)
        workdir.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix="submission-", dir=workdir)).resolve()
    except OSError as exc:
        raise SubmissionError(
            f"Cannot read {archive.name} or create a folder for it in {workdir}: {exc.strerror}."
        ) from None
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _safe_members(zf.infolist(), archive.name)
            _write_members(zf, members, target, archive.name)
    except SubmissionError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    except _DAMAGED_ZIP as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise SubmissionError(
            f"{archive.name} is not a valid zip file or is damaged ({exc}). Create the zip "
            f"again (e.g. 'Compress' in your file manager) and resubmit."
        ) from None
    top = list(target.iterdir())
    if len(top) == 1 and top[0].is_dir() and not top[0].is_symlink():
        return top[0]
    return target


def _check_archive_size(archive: Path) -> None:
    """Refuses a zip too big to be a submission before parsing it.

    Parsing a zip's table of contents costs memory and time per entry, so a
    crafted archive could stall the batch before any entry is counted.
    """
    size = archive.stat().st_size
    if size > MAX_ZIP_BYTES:
        raise SubmissionError(
            f"{archive.name} is {size / 2**20:.0f} MiB; a submission may hold at most "
            f"{MAX_ZIP_BYTES // 2**20} MiB. {_TRIM}"
        )
    directory = _declared_directory_size(archive)
    if directory is not None and directory > _MAX_DIRECTORY_BYTES:
        raise SubmissionError(
            f"{archive.name} lists too many files: a submission zip may hold at most "
            f"{MAX_ZIP_ENTRIES:,} entries. {_TRIM}"
        )


def _declared_directory_size(archive: Path) -> int | None:
    """Reads the table of contents' size from the zip's end record.

    Returns None when the record is not found or unclear: then zipfile
    itself decides, and its parse is bounded by the file size checked above.
    """
    with archive.open("rb") as stream:
        size = stream.seek(0, 2)
        tail_length = min(size, _EOCD.size + 0xFFFF)
        stream.seek(size - tail_length)
        tail = stream.read(tail_length)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + _EOCD.size > len(tail):
            return None
        fields = _EOCD.unpack_from(tail, at)
        entries, directory = fields[4], fields[5]
        if entries != 0xFFFF and directory != 0xFFFFFFFF:
            return directory
        record = size - tail_length + at - 20 - _EOCD64.size  # zip64 record, then locator
        if record < 0:
            return None
        stream.seek(record)
        raw = stream.read(_EOCD64.size)
    if len(raw) != _EOCD64.size or not raw.startswith(b"PK\x06\x06"):
        return None
    return _EOCD64.unpack(raw)[8]


def _safe_members(
    infos: list[zipfile.ZipInfo], archive_name: str
) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """Returns the entries to extract with their path parts; refuses unsafe ones.

    Junk that archivers add (``__MACOSX/``, ``.DS_Store``, ``._*`` resource
    forks) and links are skipped: they are never part of a submission, and a
    link could point anywhere on the grading machine.
    """
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SubmissionError(
            f"{archive_name} holds {len(infos):,} entries; a submission zip may hold at "
            f"most {MAX_ZIP_ENTRIES:,}. {_TRIM}"
        )
    if sum(info.file_size for info in infos) > MAX_ZIP_BYTES:
        raise _too_big(archive_name)
    members = []
    for info in infos:
        name = info.filename.replace("\\", "/")  # some Windows tools use backslashes
        parts = tuple(part for part in name.split("/") if part not in ("", "."))
        drive = len(name) > 1 and name[0].isalpha() and name[1] == ":"
        if name.startswith("/") or drive or ".." in parts:
            raise SubmissionError(
                f"{archive_name} contains the unsafe path {info.filename!r} (absolute or "
                f"with '..'), so it was not extracted. Zip your submission folder again "
                f"with an ordinary archiver."
            )
        if not parts or stat.S_ISLNK(info.external_attr >> 16):
            continue
        if any(part in _JUNK or part.startswith("._") for part in parts):
            continue
        if info.flag_bits & 0x1:
            raise SubmissionError(
                f"{archive_name} is password-protected; submit a zip without a password."
            )
        members.append((info, parts))
    return members


def _write_members(
    zf: zipfile.ZipFile,
    members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]],
    target: Path,
    archive_name: str,
) -> None:
    """Writes the entries under ``target``, counting the bytes really written.

    Entry headers can lie about sizes, so the cap applies to the decompressed
    stream itself.
    """
    written = 0
    for info, parts in members:
        sink = _create(target, parts, info, archive_name)
        if sink is None:
            continue
        with sink, zf.open(info) as source:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > MAX_ZIP_BYTES:
                    raise _too_big(archive_name)
                sink.write(chunk)


def _create(
    target: Path, parts: tuple[str, ...], info: zipfile.ZipInfo, archive_name: str
) -> BinaryIO | None:
    """Creates an entry's folder, or opens its file for writing (None for a folder)."""
    destination = target.joinpath(*parts)
    try:
        if info.filename.replace("\\", "/").endswith("/"):
            destination.mkdir(parents=True, exist_ok=True)
            return None
        destination.parent.mkdir(parents=True, exist_ok=True)
        return destination.open("xb")  # "x": a repeated name is refused, not merged
    except OSError as exc:
        reason = "it appears twice" if isinstance(exc, FileExistsError) else exc.strerror
        raise SubmissionError(
            f"Could not extract {'/'.join(parts)} from {archive_name} ({reason}). Zip your "
            f"submission folder again with an ordinary archiver."
        ) from None


def _too_big(archive_name: str) -> SubmissionError:
    """The error for an archive whose contents exceed the size cap."""
    return SubmissionError(
        f"{archive_name} unpacks to more than {MAX_ZIP_BYTES // 2**20} MiB; a submission "
        f"may hold at most that. {_TRIM}"
    )
