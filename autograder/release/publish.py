"""Writing a bundle to a folder: deterministically, completely, and never over someone's files.

A bundle is written whole or not at all. Its files go into a fresh sibling
folder first; only when every one is on disk is the sibling swapped in for
the target, so a crash leaves either the previous bundle or the new one (at
worst the previous one under a hidden sibling name), never a mixture, and
never a stale file from an earlier release.

The target may only be replaced when it is new, empty, or a bundle that
torchgrade wrote: its ``MANIFEST.torchgrade`` lists every file with its
SHA-256. A folder without one, or a bundle of the other kind, is refused,
because replacing it would destroy what is not ours. So is a bundle whose
files no longer match its manifest (a student's ``my_linear.py``, their
notes): the manifest says what torchgrade wrote, so anything else there is a
person's work. ``force`` replaces edited and deleted files anyway, but never
deletes a file the bundle did not ship (someone's notes, a ``.git``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder import __version__

MANIFEST_NAME = "MANIFEST.torchgrade"
SCHEMA = "torchgrade.bundle/1"
KINDS = ("student", "grader")
_IGNORED_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache"})
_IGNORED_FILES = frozenset({".DS_Store"})
_SHOWN = 10

Files = Mapping[str, str | bytes]


class BundleError(Exception):
    """The bundle cannot be written there; nothing was changed."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(kind: str, files: Files) -> dict[str, bytes]:
    """The bundle's files as bytes, sorted, with its manifest added.

    Raises:
        BundleError: a path is not a clean relative POSIX path, clashes with
            another (a file that is also a folder) or with the manifest.
    """
    if kind not in KINDS:
        raise ValueError(f"bundle kind must be one of {KINDS}, not {kind!r}")
    data = {path: content.encode("utf-8") if isinstance(content, str) else bytes(content)
            for path, content in sorted(files.items())}
    _check_paths(data)
    document = {"schema": SCHEMA, "bundle": kind, "torchgrade_version": __version__,
                "files": {path: digest(content) for path, content in data.items()}}
    data[MANIFEST_NAME] = (json.dumps(document, sort_keys=True, indent=1) + "\n").encode()
    return dict(sorted(data.items()))


def _check_paths(data: Mapping[str, bytes]) -> None:
    folders: set[str] = set()
    for path in data:
        pure = PurePosixPath(path)
        if (not path or path != pure.as_posix() or pure.is_absolute() or "\\" in path
                or any(part in ("", ".", "..") for part in pure.parts)):
            raise BundleError(f"bundle path {path!r} is not a clean relative POSIX path")
        if path == MANIFEST_NAME:
            raise BundleError(f"a release step produced {MANIFEST_NAME}, which is reserved")
        folders.update(str(parent) for parent in pure.parents if str(parent) != ".")
    clashes = sorted(folders & set(data))
    if clashes:
        raise BundleError(f"bundle path {clashes[0]!r} is both a file and a folder")


def write(directory: Path, kind: str, files: Files, *, force: bool = False) -> None:
    """Writes the bundle to ``directory``, replacing a previous bundle of the same kind.

    Files are written 0644 and folders 0755, in sorted order, with the
    manifest; nothing in them depends on the time or the machine, so two
    releases of the same sources are byte-identical.

    Args:
        directory: New, empty, or a previous bundle of ``kind``.
        kind: ``student`` or ``grader``.
        files: The bundle's files by relative POSIX path.
        force: Replace a previous bundle even where its files were edited or
            deleted since it was written (see :func:`replaceable`).

    Raises:
        BundleError: ``directory`` holds something that is not a previous
            bundle of this kind, or a person's work; the message says what
            and how to proceed.
    """
    data = encode(kind, files)
    target = Path(os.path.abspath(directory))
    replaceable(target, kind, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.torchgrade-new-", dir=target.parent))
    try:
        os.chmod(staging, 0o755)
        for relative, content in data.items():
            _write_file(staging, relative, content)
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already unless something failed


def _write_file(root: Path, relative: str, content: bytes) -> None:
    path = root / relative
    for parent in reversed(path.relative_to(root).parents):
        folder = root / parent
        if not folder.is_dir():
            folder.mkdir()
            os.chmod(folder, 0o755)  # not the umask's idea of a folder
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(path, 0o644)


def _swap(staging: Path, target: Path) -> None:
    """Puts ``staging`` where ``target`` is, keeping the old one until the new is in place."""
    if not target.exists():
        os.rename(staging, target)
    else:
        retired = target.parent / f".{target.name}.torchgrade-old-{secrets.token_hex(4)}"
        os.rename(target, retired)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(retired, target)
            raise
        shutil.rmtree(retired)
    with contextlib.suppress(OSError):  # make the renames durable where the OS allows
        handle = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@dataclass(frozen=True)
class Manifest:
    """What a bundle folder's ``MANIFEST.torchgrade`` says.

    Attributes:
        kind: ``student`` or ``grader``.
        files: Relative path -> SHA-256 of every file but the manifest.
    """

    kind: str
    files: dict[str, str]


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest of a bundle folder, or None when it has no valid one."""
    try:
        document = json.loads((Path(directory) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(document, dict) or document.get("schema") != SCHEMA
            or document.get("bundle") not in KINDS or not isinstance(document.get("files"), dict)
            or not all(isinstance(k, str) and isinstance(v, str)
                       for k, v in document["files"].items())):
        return None
    return Manifest(kind=document["bundle"], files=dict(document["files"]))


def replaceable(directory: Path, kind: str, *, force: bool = False) -> None:
    """Returns when a bundle of ``kind`` may be written to ``directory``.

    Args:
        directory: Where the bundle would go.
        kind: ``student`` or ``grader``.
        force: Allow replacing files that were edited or deleted since the
            previous bundle was written. Files it did not ship are refused
            even so: replacing the bundle whole would delete them, and they
            were never torchgrade's.

    Raises:
        BundleError: ``directory`` is a file or a link, or a non-empty folder
            that is not a previous bundle of ``kind`` exactly as its manifest
            records it (short of ``force``).
    """
    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        raise BundleError(f"{directory} exists and is not a folder; choose another place for "
                          f"the {kind} bundle")
    if not directory.exists() or not any(directory.iterdir()):
        return
    manifest = read_manifest(directory)
    if manifest is None:
        raise BundleError(f"{directory} is not empty and is not a torchgrade bundle (it has "
                          f"no valid {MANIFEST_NAME}); refusing to overwrite it. Choose a new "
                          "or empty folder.")
    if manifest.kind != kind:
        raise BundleError(f"{directory} holds a torchgrade {manifest.kind} bundle; "
                          f"refusing to replace it with a {kind} bundle")
    changes = edits(directory, manifest)
    added = [change for change in changes if change[0] == "added"]
    if force and added:
        raise BundleError(f"{directory} is a previous {kind} bundle but also holds files it did "
                          f"not ship; they would be lost, and --force never deletes them:"
                          f"{_listing(added)}\nMove them elsewhere or choose another folder.")
    if changes and not force:
        advice = ("Move your work elsewhere first (--force never deletes files the bundle did "
                  "not ship), or choose another folder." if added else
                  "Move your work elsewhere first, or pass --force to replace the bundle anyway.")
        raise BundleError(f"{directory} is a previous {kind} bundle, but {len(changes)} "
                          f"file(s) there changed since torchgrade wrote it; replacing it would "
                          f"lose that work:{_listing(changes)}\n{advice}")


def edits(directory: Path, manifest: Manifest) -> list[tuple[str, str]]:
    """What changed in a bundle folder since its manifest was written.

    Returns:
        ``(change, path)`` pairs, ``change`` one of ``modified`` (the SHA-256
        differs, or the file became a link or a folder), ``deleted`` (listed
        but gone) and ``added`` (there but not listed); modified first, as
        the most likely to be someone's work, each kind sorted by path.
    """
    present = set(_files_below(directory)) - {MANIFEST_NAME}
    modified = sorted(path for path in present & set(manifest.files)
                      if _file_digest(directory / path) != manifest.files[path])
    deleted = sorted(set(manifest.files) - present)
    added = sorted(present - set(manifest.files))
    return ([("modified", path) for path in modified] + [("deleted", path) for path in deleted]
            + [("added", path) for path in added])


def overwritable(directory: Path, files: Files, *, force: bool = False) -> None:
    """Returns when ``files`` may be written one by one into ``directory``.

    Files written one by one (the stubs of ``release --stubs``) leave the
    rest of the folder alone, so only the files they would overwrite matter,
    and only in a folder holding a bundle's manifest: there the manifest says
    what torchgrade wrote, and anything else in its place is a person's work.
    Without a manifest (the checkout's ``assignments/``) the folder is
    generated by design and always writable.

    Raises:
        BundleError: A file ``files`` would overwrite is neither what the
            manifest records nor what would be written, and not ``force``.
    """
    manifest = read_manifest(directory)
    if manifest is None or force:
        return
    lost = []
    for relative, content in sorted(files.items()):
        path = Path(directory) / relative
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        if not (path.exists() or path.is_symlink()) or (
                path.is_file() and not path.is_symlink() and path.read_bytes() == data):
            continue  # nothing there, or nothing would change
        recorded = manifest.files.get(relative)
        if recorded is None:
            lost.append(("added", relative))
        elif _file_digest(path) != recorded:
            lost.append(("modified", relative))
    if lost:
        raise BundleError(f"{directory} holds a torchgrade {manifest.kind} bundle, and "
                          f"{len(lost)} file(s) to be written there changed since torchgrade "
                          f"wrote it; writing would lose that work:{_listing(lost)}\n"
                          "Move your work elsewhere first, or pass --force to overwrite it "
                          "anyway.")


def _file_digest(path: Path) -> str | None:
    """The SHA-256 of a regular file; None for a link, a folder or anything unreadable."""
    if path.is_symlink() or not path.is_file():
        return None
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def _listing(changes: list[tuple[str, str]]) -> str:
    """``changes`` one per indented line, the first :data:`_SHOWN` of them."""
    lines = [f"\n  {change}: {path}" for change, path in changes[:_SHOWN]]
    if len(changes) > _SHOWN:
        lines.append(f"\n  ... and {len(changes) - _SHOWN} more")
    return "".join(lines)


def _files_below(directory: Path) -> list[str]:
    """Every file and link below ``directory`` (POSIX, relative), caches skipped."""
    found = []
    for root, folders, names in os.walk(directory):
        folders[:] = sorted(f for f in folders if f not in _IGNORED_DIRS
                            or Path(root, f).is_symlink())
        base = Path(root).relative_to(directory)
        found += [(base / name).as_posix() for name in names if name not in _IGNORED_FILES]
        found += [(base / f).as_posix() for f in folders if Path(root, f).is_symlink()]
    return found


def stale(directory: Path, kind: str, files: Files) -> list[str]:
    """Which files of ``directory`` differ from the bundle ``files`` would make, one line each."""
    data = encode(kind, files)
    directory = Path(directory)
    if not directory.is_dir():
        return [f"  {directory} (missing)"]
    problems = []
    for relative, content in data.items():
        path = directory / relative
        if not path.is_file():
            problems.append(f"  {path} (missing)")
        elif path.read_bytes() != content:
            problems.append(f"  {path} (differs from what the sources generate)")
    extra = sorted(set(_files_below(directory)) - set(data))
    problems += [f"  {directory / relative} (not part of the bundle)" for relative in extra]
    return problems
