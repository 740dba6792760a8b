"""Safe extraction of the zips that students and course platforms hand in.

Archives come from students, so extraction trusts nothing in them: unsafe
names (zip-slip) are refused, links are skipped, and the number of entries
and the bytes really written are capped. A class archive (an LMS export of
every student's files) may be larger than one submission, so the caps are a
parameter (:data:`SUBMISSION_ZIP`, :data:`CLASS_ZIP`); the checks are the same.
Everything is explicit: paths come in as arguments, and nothing is written
outside a fresh folder under the caller's work folder.
"""

from __future__ import annotations

import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from autograder.intake.errors import SubmissionError

MAX_ZIP_ENTRIES = 2_000  # a release has a handful of files
MAX_ZIP_BYTES = 100 * 1024 * 1024  # compressed or extracted

_CHUNK = 1024 * 1024
_ENTRY_DIRECTORY_BYTES = 1024  # a generous table-of-contents size per entry
JUNK = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db"})
"""Names that archivers and file managers add, never part of anyone's work."""
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

_Members = list[tuple[zipfile.ZipInfo, tuple[str, ...]]]


@dataclass(frozen=True)
class ZipLimits:
    """How much one archive may hold, and how messages name it.

    Attributes:
        max_entries: Entries in its table of contents.
        max_bytes: Bytes of the archive file, and bytes really extracted.
        what: The archive in a sentence, e.g. ``a submission zip``.
        advice: What the person who made it should do when it is too big.
    """

    max_entries: int
    max_bytes: int
    what: str
    advice: str


SUBMISSION_ZIP = ZipLimits(MAX_ZIP_ENTRIES, MAX_ZIP_BYTES, "a submission zip", _TRIM)
"""One student's work: a handful of files."""
CLASS_ZIP = ZipLimits(
    50_000, 2 * 1024**3, "a class archive",
    "Export the submissions in smaller parts, or unpack the archive and grade the folder.")
"""A course platform's export of a whole class's files."""


def extract(archive: Path, workdir: Path, limits: ZipLimits = SUBMISSION_ZIP) -> Path:
    """Extracts a zip safely into a fresh folder under ``workdir``.

    Returns:
        The new folder (the caller cleans ``workdir`` up).

    Raises:
        SubmissionError: the zip is too big, unsafe, password-protected or
            damaged; nothing of it is left on disk then.
    """
    try:
        _check_archive_size(archive, limits)
        workdir.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix="submission-", dir=workdir)).resolve()
    except OSError as exc:
        raise SubmissionError(
            f"Cannot read {archive.name} or create a folder for it in {workdir}: {exc.strerror}."
        ) from None
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _safe_members(zf.infolist(), archive.name, limits)
            _write_members(zf, members, target, archive.name, limits)
    except SubmissionError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    except _DAMAGED_ZIP as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise _damaged(archive, exc) from None
    return target


def unwrapped(folder: Path) -> Path:
    """The folder to search in an extraction: its single top-level folder, if that is all.

    Students often zip the folder rather than its contents.
    """
    top = list(folder.iterdir())
    if len(top) == 1 and top[0].is_dir() and not top[0].is_symlink():
        return top[0]
    return folder


def member_names(archive: Path, limits: ZipLimits = SUBMISSION_ZIP) -> list[tuple[str, ...]]:
    """The path parts of the files that :func:`extract` would write, without writing them.

    Telling a class archive from one submission needs only the names, so a
    look costs a table of contents, not an extraction.

    Raises:
        SubmissionError: as :func:`extract` would for the table of contents.
    """
    try:
        _check_archive_size(archive, limits)
    except OSError as exc:
        raise SubmissionError(f"Cannot read {archive.name}: {exc.strerror}.") from None
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _safe_members(zf.infolist(), archive.name, limits)
    except _DAMAGED_ZIP as exc:
        raise _damaged(archive, exc) from None
    return [parts for info, parts in members if not _is_folder(info)]


def _damaged(archive: Path, exc: BaseException) -> SubmissionError:
    return SubmissionError(
        f"{archive.name} is not a valid zip file or is damaged ({exc}). Create the zip "
        f"again (e.g. 'Compress' in your file manager) and resubmit."
    )


def _is_folder(info: zipfile.ZipInfo) -> bool:
    return info.filename.replace("\\", "/").endswith("/")


def _check_archive_size(archive: Path, limits: ZipLimits) -> None:
    """Refuses a zip too big to be a submission before parsing it.

    Parsing a zip's table of contents costs memory and time per entry, so a
    crafted archive could stall the batch before any entry is counted.
    """
    size = archive.stat().st_size
    if size > limits.max_bytes:
        raise SubmissionError(
            f"{archive.name} is {size / 2**20:.0f} MiB; {limits.what} may hold at most "
            f"{limits.max_bytes // 2**20} MiB. {limits.advice}"
        )
    directory = _declared_directory_size(archive)
    if directory is not None and directory > limits.max_entries * _ENTRY_DIRECTORY_BYTES:
        raise SubmissionError(
            f"{archive.name} lists too many files: {limits.what} may hold at most "
            f"{limits.max_entries:,} entries. {limits.advice}"
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


def _safe_members(infos: list[zipfile.ZipInfo], archive_name: str, limits: ZipLimits
                  ) -> _Members:
    """Returns the entries to extract with their path parts; refuses unsafe ones.

    Junk that archivers add (``__MACOSX/``, ``.DS_Store``, ``._*`` resource
    forks) and links are skipped: they are never part of a submission, and a
    link could point anywhere on the grading machine.
    """
    if len(infos) > limits.max_entries:
        raise SubmissionError(
            f"{archive_name} holds {len(infos):,} entries; {limits.what} may hold at "
            f"most {limits.max_entries:,}. {limits.advice}"
        )
    if sum(info.file_size for info in infos) > limits.max_bytes:
        raise _too_big(archive_name, limits)
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
        if any(part in JUNK or part.startswith("._") for part in parts):
            continue
        if info.flag_bits & 0x1:
            raise SubmissionError(
                f"{archive_name} is password-protected; submit a zip without a password."
            )
        members.append((info, parts))
    return members


def _write_members(zf: zipfile.ZipFile, members: _Members, target: Path, archive_name: str,
                   limits: ZipLimits) -> None:
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
                if written > limits.max_bytes:
                    raise _too_big(archive_name, limits)
                sink.write(chunk)


def _create(
    target: Path, parts: tuple[str, ...], info: zipfile.ZipInfo, archive_name: str
) -> BinaryIO | None:
    """Creates an entry's folder, or opens its file for writing (None for a folder)."""
    destination = target.joinpath(*parts)
    try:
        if _is_folder(info):
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


def _too_big(archive_name: str, limits: ZipLimits) -> SubmissionError:
    """The error for an archive whose contents exceed the size cap."""
    return SubmissionError(
        f"{archive_name} unpacks to more than {limits.max_bytes // 2**20} MiB; "
        f"{limits.what} may hold at most that. {limits.advice}"
    )
