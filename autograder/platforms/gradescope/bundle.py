"""``torchgrade gradescope OUT.zip``: the autograder ``.zip`` to upload to Gradescope.

Gradescope wants ``setup.sh`` and ``run_autograder`` at the root of the
archive (its "Autograder Specifications"); it unpacks the archive into
``/autograder/source``, runs ``setup.sh`` once to build an image, then
``run_autograder`` for every submission. The archive holds:

- ``setup.sh``, ``run_autograder`` and ``README.md``, rendered from
  ``templates/gradescope/``;
- ``grader/``: the grader bundle (:func:`autograder.release.bundles.build_grader`:
  reference solutions, checks, ``grader.json``, manifest);
- ``wheels/torchgrade-<version>-py3-none-any.whl``: this torchgrade, built
  from the checkout (:mod:`autograder.release.wheel`), so that Gradescope
  grades with exactly the checks the grader bundle names.

Like the other bundles it is built in memory and written whole, entries
sorted and dated 1980-01-01, so the same sources give the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder import __version__, registry
from autograder.platforms.gradescope.results import not_graded
from autograder.registry import Assignment
from autograder.release import bundles, publish, wheel
from autograder.release.templates import render

GRADER_FOLDER = "grader"
"""Where the grader bundle sits in the archive (and so in ``/autograder/source``)."""
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
"""The CPU builds of torch: what ``setup.sh`` installs torch from."""
PYTHON_MIN = (3, 10)
EXECUTABLE = frozenset({"setup.sh", "run_autograder"})
NOT_STARTED = ("The autograder could not start torchgrade, so this submission was not "
               "graded. This is not your fault: please tell your instructor, who can see "
               "what went wrong in the autograder output.")
"""What ``run_autograder`` reports when Python itself fails (it writes a fixed results.json)."""
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
_MARKERS = ("run_autograder", f"{GRADER_FOLDER}/{bundles.GRADER_CONFIG}")


class GradescopeError(Exception):
    """The autograder ``.zip`` cannot be written as asked; nothing was written."""


def main(*, out: Path, solutions: Path, names: Sequence[str] = (),
         torch: str | None = None) -> int:
    """Builds the Gradescope autograder for the assignments ``names`` and writes it to ``out``.

    Args:
        out: The ``.zip`` to write: new, or an earlier autograder, which is replaced.
        solutions: The reference solutions folder.
        names: The assignments to grade (all by default); a Gradescope
            assignment is often one of them.
        torch: The requirement ``setup.sh`` installs from the CPU index
            (default: :func:`default_torch`).

    Returns:
        0 once written.

    Raises:
        GradescopeError: ``out`` is not a ``.zip`` name, or is a file that
            is not an earlier torchgrade autograder; nothing was written.
        WheelError: torchgrade's wheel cannot be built (not a checkout).
        KeyError: an unknown assignment name.
    """
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise GradescopeError(f"{out} does not end in .zip: Gradescope takes the autograder "
                              "as a .zip file")
    replaceable(out)
    chosen = registry.select(list(names))
    files = build(solutions=Path(solutions), assignments=chosen,
                  torch=torch or default_torch())
    write_zip(out, files)
    total = sum(a.points for a in chosen)
    print(f"wrote the Gradescope autograder ({len(files)} files) to {out}")
    print(f"Upload it as a programming assignment's autograder (base image Ubuntu 22.04 or "
          f"later), worth {total:g} points; its README.md says what it holds.")
    return 0


def build(*, solutions: Path, assignments: Sequence[Assignment], torch: str) -> dict[str, bytes]:
    """The archive's files by path, in memory.

    Raises:
        WheelError: torchgrade's wheel cannot be built here.
    """
    sources = bundles.Sources(solutions=solutions, assignments=tuple(assignments))
    grader = publish.encode("grader", bundles.build_grader(sources))
    files = {f"{GRADER_FOLDER}/{path}": content for path, content in grader.items()}
    files[wheel.bundle_path()] = wheel.build()
    context = {
        "version": __version__, "grader": GRADER_FOLDER, "wheel": wheel.bundle_path(),
        "torch": torch, "torch_index": TORCH_INDEX, "python_min": PYTHON_MIN,
        "assignments": assignments, "total": sum(a.points for a in assignments),
        "not_started": json.dumps(not_graded(NOT_STARTED), indent=1),
    }
    for name, template in (("setup.sh", "setup.sh.j2"), ("run_autograder", "run_autograder.j2"),
                           ("README.md", "README.md.j2")):
        files[name] = render(f"gradescope/{template}", **context).encode("utf-8")
    return dict(sorted(files.items()))


def default_torch() -> str:
    """``torch==X.Y.Z``: the torch this machine grades with, without its ``+cpu`` tag."""
    import torch

    return f"torch=={torch.__version__.split('+')[0]}"


def replaceable(out: Path) -> None:
    """Returns only when ``out`` may be written: it is new, or an earlier autograder.

    Raises:
        GradescopeError: ``out`` is a folder, or a file torchgrade did not write.
    """
    if not out.exists():
        return
    if out.is_file() and zipfile.is_zipfile(out):
        with zipfile.ZipFile(out) as archive:
            if set(_MARKERS) <= set(archive.namelist()):
                return
    raise GradescopeError(f"{out} exists and is not a Gradescope autograder that torchgrade "
                          "wrote; refusing to replace it. Choose another name, or remove it.")


def write_zip(out: Path, files: Mapping[str, bytes]) -> None:
    """Writes ``files`` as a zip at ``out``, whole or not at all, the same bytes every time.

    The scripts are 0755 (Gradescope runs ``run_autograder`` as a program),
    everything else 0644.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
            info.create_system = 3  # Unix, so that the mode below is honoured
            info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(buffer.getvalue())
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
