"""The kit's own wheel, built from the checkout, the same bytes every time.

A bundle that carries torchgrade's wheel installs without a published
release: ``pip install ./wheels/torchgrade-<version>-py3-none-any.whl``. The
student bundle ships it, and any bundle a grading service unpacks can reuse
:func:`build` the same way.

The wheel is built by the standard tooling (``pip wheel`` with the checkout's
own setuptools back end, no build isolation, no index) from a private copy of
exactly what the package is made of: the packaging metadata, ``autograder/``
and ``templates/``. Nothing else of the checkout (``solutions/``,
``tests/``, a stale ``build/`` folder) can reach it, and building writes
nothing into the checkout. Like every file of a bundle it must be the same
bytes on every release, so ``SOURCE_DATE_EPOCH`` is set for the build and the
archive is then rewritten in a fixed order with fixed timestamps and
permissions; its ``RECORD`` (digests of the contents) stays valid.

Before it is used, the wheel is checked: it holds only the ``autograder``
package and its metadata, each package file byte for byte the one in the
checkout, and (:func:`verify`) no file that carries a reference solution.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from autograder import __version__
from autograder.layout import ROOT, read_solution
from autograder.registry import Assignment
from autograder.release.leaks import LeakError, split_lines
from autograder.release.publish import BundleError

FOLDER = "wheels"
"""Where a bundle keeps the wheel."""
EPOCH = 315532800
"""1980-01-01T00:00:00Z, the earliest time a zip archive can record: every entry's time."""
PACKAGE = "autograder"
_PACKAGING = ("pyproject.toml", "setup.py", "README.md")
_TREES = {"autograder": "autograder", "templates": "autograder/templates"}
"""The folders the package is built from, and where their files land in the wheel."""
_SKIPPED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                           ".ipynb_checkpoints"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644
_BUILD_SECONDS = 300
_SOLUTION_LINE_CHARS = 25
_SOLUTION_LINES_SHOWN = 3
_built: dict[str, bytes] = {}
"""Wheels built in this process, by the digest of their sources: releasing twice builds once."""


class WheelError(BundleError):
    """The kit's wheel could not be built from this checkout, so no bundle was written.

    A :class:`BundleError`, so the command line reports it like any other
    reason a bundle cannot be written (exit 2, the message alone).
    """


def filename(version: str = __version__) -> str:
    """The wheel's file name, ``torchgrade-<version>-py3-none-any.whl``."""
    return f"torchgrade-{version}-py3-none-any.whl"


def bundle_path(version: str = __version__) -> str:
    """Where a bundle keeps the wheel: ``wheels/torchgrade-<version>-py3-none-any.whl``."""
    return f"{FOLDER}/{filename(version)}"


def source_files(source: Path = ROOT) -> dict[str, bytes]:
    """What the wheel is built from: packaging metadata, the package and the templates.

    Args:
        source: The torchgrade checkout (the folder holding ``pyproject.toml``).

    Raises:
        WheelError: ``source`` is not a torchgrade checkout (an installed
            torchgrade has no sources to build from).
    """
    source = Path(source)
    if not (source / "pyproject.toml").is_file() or not (source / PACKAGE).is_dir():
        raise WheelError(f"{source} is not a torchgrade checkout (no pyproject.toml beside "
                         f"{PACKAGE}/), so torchgrade's wheel cannot be built for the bundle; "
                         "run the release from a checkout of the kit (pip install -e .)")
    files = {name: (source / name).read_bytes() for name in _PACKAGING
             if (source / name).is_file()}
    files.update({path.name: path.read_bytes()
                  for path in sorted(source.glob("LICEN[CS]E*")) if path.is_file()})
    for folder in _TREES:
        for root, folders, names in os.walk(source / folder):
            folders[:] = sorted(f for f in folders if f not in _SKIPPED_DIRS)
            for name in sorted(names):
                if not name.endswith(_SKIPPED_SUFFIXES):
                    path = Path(root, name)
                    files[path.relative_to(source).as_posix()] = path.read_bytes()
    return files


def build(*, source: Path = ROOT, reuse: bool = True) -> bytes:
    """The kit's wheel, built from ``source`` and normalised to fixed bytes.

    Args:
        source: The torchgrade checkout.
        reuse: Return the wheel this process already built from the same
            sources (and Python) instead of building it again.

    Returns:
        The bytes of :func:`filename`.

    Raises:
        WheelError: not a checkout, the build failed, or the wheel holds
            anything but the package built from it.
    """
    files = source_files(source)
    key = hashlib.sha256(sys.executable.encode())
    for path, content in sorted(files.items()):
        key.update(f"{path}\0{len(content)}\0".encode())
        key.update(content)
    if not reuse or key.hexdigest() not in _built:
        data = normalise(_run_build(files))
        check_contents(data, files)
        _built[key.hexdigest()] = data
    return _built[key.hexdigest()]


def _run_build(files: Mapping[str, bytes]) -> bytes:
    """``pip wheel`` over a private copy of ``files``; the built wheel's bytes."""
    with tempfile.TemporaryDirectory(prefix="torchgrade-wheel-") as work:
        tree, out = Path(work, "source"), Path(work, "wheel")
        for relative, content in files.items():
            path = tree / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                   "--no-index", "--no-cache-dir", "--quiet", "--wheel-dir", str(out),
                   str(tree)]
        environment = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "PIP_NO_INPUT": "1",
                       "PYTHONHASHSEED": "0"}
        try:
            done = subprocess.run(command, cwd=work, env=environment, capture_output=True,
                                  text=True, timeout=_BUILD_SECONDS, check=False)
        except subprocess.TimeoutExpired as error:
            raise WheelError(f"building torchgrade's wheel took over {_BUILD_SECONDS} s; "
                             "nothing was written") from error
        built = sorted(out.glob("*.whl"))
        if done.returncode != 0 or len(built) != 1:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise WheelError("building torchgrade's wheel failed, so nothing was written. It "
                             "needs pip and setuptools>=77 in the environment that runs "
                             "torchgrade (pip install -e '.[dev]'). The build said:\n" + tail)
        if built[0].name != filename():
            raise WheelError(f"the checkout builds {built[0].name}, but this torchgrade is "
                             f"{__version__} and its READMEs would name {filename()}; make "
                             "the version in pyproject.toml and autograder/__init__.py agree")
        return built[0].read_bytes()


def normalise(data: bytes) -> bytes:
    """The same wheel with nothing in it that depends on the time or the machine.

    Entries are sorted (the ``.dist-info`` folder last, its ``RECORD`` last
    of all, as the wheel format recommends), every entry is dated
    :data:`EPOCH`, made by Unix with mode 0644, and deflated at level 9.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as original:
        contents = {info.filename: original.read(info) for info in original.infolist()
                    if not info.is_dir()}
    ordered = sorted(contents, key=lambda name: (".dist-info/" in name,
                                                 name.endswith(".dist-info/RECORD"), name))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as rewritten:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
            info.create_system = 3  # Unix, so the mode below is read as one
            info.external_attr = _FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            rewritten.writestr(info, contents[name], compresslevel=9)
    return buffer.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    """Every file of a wheel by its path inside it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()
                if not info.is_dir()}


def check_contents(data: bytes, files: Mapping[str, bytes]) -> None:
    """Returns only when the wheel holds the package built from ``files`` and its metadata.

    Raises:
        WheelError: a file outside ``autograder/`` and the ``.dist-info``
            folder (tests, solutions, another top-level package), inside a
            ``solutions`` folder, or not byte for byte the checkout's.
    """
    expected = {}
    for relative, content in files.items():
        top, _, rest = relative.partition("/")
        if top in _TREES and rest:
            expected[f"{_TREES[top]}/{rest}"] = content
    metadata = f"torchgrade-{__version__}.dist-info/"
    problems = []
    for name, content in sorted(members(data).items()):
        parts = PurePosixPath(name).parts
        if name.startswith(metadata):
            continue
        if parts[0] != PACKAGE:
            problems.append(f"{name}: not part of the {PACKAGE} package")
        elif "solutions" in parts:
            problems.append(f"{name}: a solutions folder inside the package")
        elif expected.get(name) != content:
            problems.append(f"{name}: not the checkout's file of that name")
    if problems:
        raise WheelError("torchgrade's wheel holds more than the package, so nothing was "
                         "written:\n" + "\n".join(f"  {problem}" for problem in problems[:10]))


def verify(data: bytes, *, solutions: Path, assignments: Sequence[Assignment],
           where: str = bundle_path()) -> None:
    """Returns only when no file of the wheel carries a reference solution.

    The package legitimately quotes a few solution lines (a check that
    restates the loss it grades, the marker text the release looks for), so
    the rule is not "no solution line" but "no copy of a solution": a file
    holding three or more of one solution's long lines, or half of them if
    that is more. A copied solution, with or without its markers, holds
    them all.

    Raises:
        LeakError: naming each file of the wheel and the solution it carries.
    """
    problems = []
    wheel_files = {name: content.decode("utf-8", errors="replace")
                   for name, content in members(data).items()}
    for assignment in assignments:
        inside = split_lines(read_solution(solutions, assignment)[1])[0]
        lines = sorted(line for line in inside if len(line) >= _SOLUTION_LINE_CHARS)
        enough = max(3, (len(lines) + 1) // 2)
        for name, text in sorted(wheel_files.items()):
            found = [line for line in lines if line in text]
            if lines and len(found) >= enough:
                shown = ", ".join(repr(line) for line in found[:_SOLUTION_LINES_SHOWN])
                problems.append(f"{where}: {name} holds {len(found)} lines of the reference "
                                f"solution of {assignment.name} ({shown}, ...)")
    if problems:
        raise LeakError(problems)
