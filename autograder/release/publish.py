"""Writing a bundle to a folder: deterministically, completely, and never over someone's files.

A bundle is written whole or not at all. Its files go into a fresh sibling
folder first; only when every one is on disk is the sibling swapped in for
the target, so a crash leaves either the previous bundle or the new one (at
worst the previous one under a hidden sibling name), never a mixture, and
never a stale file from an earlier release.

The target may only be replaced when it is new, empty, or a bundle that
torchgrade wrote: its ``MANIFEST.torchgrade`` lists every file with its
SHA-256. A folder without one, a bundle of the other kind, or a bundle
holding files its manifest does not list (someone's notes, a ``.git``) is
refused, because replacing it would destroy what is not ours.
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
_SHOWN = 5

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


def write(directory: Path, kind: str, files: Files) -> None:
    """Writes the bundle to ``directory``, replacing a previous bundle of the same kind.

    Files are written 0644 and folders 0755, in sorted order, with the
    manifest; nothing in them depends on the time or the machine, so two
    releases of the same sources are byte-identical.

    Raises:
        BundleError: ``directory`` holds something that is not a previous
            bundle of this kind; the message says what and how to proceed.
    """
    data = encode(kind, files)
    target = Path(os.path.abspath(directory))
    replaceable(target, kind)
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


def replaceable(directory: Path, kind: str) -> None:
    """Returns when a bundle of ``kind`` may be written to ``directory``.

    Raises:
        BundleError: ``directory`` is a file or a link, or a non-empty folder
            that is not a previous bundle of ``kind`` holding only its files.
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
    listed = set(manifest.files) | {MANIFEST_NAME}
    foreign = sorted(set(_files_below(directory)) - listed)
    if foreign:
        shown = ", ".join(foreign[:_SHOWN]) + (", ..." if len(foreign) > _SHOWN else "")
        raise BundleError(f"{directory} is a previous {kind} bundle but also holds files it did "
                          f"not ship ({shown}); they would be lost. Move them away or choose "
                          "another folder.")


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
