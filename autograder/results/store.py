"""A batch's output folder: every result saved the moment it is graded, nothing lost.

Layout of ``--out DIR``::

    DIR/batch.json          the run's seed and kit version (a re-run reuses the seed)
    DIR/results/<id>.json   one SPEC §3 result per submission, plus its fingerprint
    DIR/gradebook.csv       written last, from every saved result

Each file is written atomically (a temporary file renamed into place), so a
``kill -9`` at any moment leaves whole files only; a re-run then skips every
submission whose saved result has the same fingerprint (the submitted files'
bytes, the kit version, the seed, the device and the reference) and was
graded, and grades the rest. One file per submission means no duplicates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.intake.submission import Submission
from autograder.results.gradebook import gradebook_csv
from autograder.results.model import SubmissionResult, from_json, to_json, write_json, write_text

BATCH_SCHEMA = "torchgrade.batch/1"
GRADEBOOK = "gradebook.csv"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class StoreError(Exception):
    """The output folder cannot be used (not a batch folder, unreadable); a usage error."""


@dataclass(frozen=True)
class Saved:
    """A result read back from the folder, with the fingerprint it was graded under."""

    result: SubmissionResult
    fingerprint: str


def fingerprint(submission: Submission, *, seed: int, device: str, reference: str) -> str:
    """What a result depends on: the graded files' names and bytes, kit, seed, device, reference."""
    digest = hashlib.sha256(f"{__version__}\0{seed}\0{device}\0{reference}".encode())
    for assignment in submission.assignments:
        path = submission.files.get(assignment.name)
        digest.update(f"\0{assignment.name}\0{path.name if path else '-'}\0".encode())
        if path is not None:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def tree_digest(folder: Path) -> str:
    """A digest of every file below ``folder`` (the reference solutions), by path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class ResultStore:
    """One batch's output folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.results = self.root / "results"
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"--out {self.root} exists and is not a folder")
        if self.root.is_dir() and any(self.root.iterdir()) and not (
                self.root / "batch.json").is_file():
            raise StoreError(f"--out {self.root} is a folder that holds other files; give a "
                             "new or empty folder, or the folder of an earlier batch")

    def seed(self) -> int | None:
        """The seed an earlier run of this batch used, if any."""
        document = self._read(self.root / "batch.json")
        if document is None:
            return None
        if document.get("schema") != BATCH_SCHEMA or type(document.get("seed")) is not int:
            raise StoreError(f"{self.root / 'batch.json'} is not a torchgrade batch file")
        return int(document["seed"])

    def begin(self, *, seed: int, assignments: Sequence[str]) -> None:
        """Records the run's seed, so that a re-run after a crash grades alike."""
        self.results.mkdir(parents=True, exist_ok=True)
        for leftover in self.results.glob(".*"):  # temporary files of a killed run
            leftover.unlink(missing_ok=True)
        write_json(self.root / "batch.json", {"schema": BATCH_SCHEMA, "seed": seed,
                                              "torchgrade_version": __version__,
                                              "assignments": list(assignments)})

    def saved(self) -> dict[str, Saved]:
        """Every readable saved result, by submission label."""
        found: dict[str, Saved] = {}
        for path in sorted(self.results.glob("*.json")) if self.results.is_dir() else []:
            document = self._read(path)
            try:
                result = from_json(document)
            except ValueError:
                continue  # not ours, or damaged: graded again
            assert document is not None
            found[result.submission] = Saved(result, str(document.get("fingerprint", "")))
        return found

    def save(self, result: SubmissionResult, *, fingerprint: str, details: bool) -> Path:
        """Writes one result, atomically, under a file name derived from its label."""
        document = to_json(result, details=details) | {"fingerprint": fingerprint}
        path = self.results / f"{file_name(result.submission)}.json"
        write_json(path, document)
        return path

    def write_gradebook(self, results: Iterable[SubmissionResult], *,
                        assignments: Sequence[str]) -> Path:
        path = self.root / GRADEBOOK
        write_text(path, gradebook_csv(results, assignments=assignments))
        return path

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            if path.name == "batch.json":
                raise StoreError(f"{path} is unreadable ({error})") from error
            return None
        return document if isinstance(document, dict) else None


def file_name(label: str) -> str:
    """A file name for a label: readable, safe, and distinct for distinct labels."""
    safe = _SAFE.sub("_", label).strip("._")[:80] or "submission"
    if safe == label:
        return safe
    return f"{safe}-{hashlib.sha256(label.encode()).hexdigest()[:8]}"
