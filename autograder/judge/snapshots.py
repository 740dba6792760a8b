"""The public snapshots: the reference's answers for the public seed, as files.

Per assignment, two files beside its checks (package data, so they ship with
the student release)::

    snapshots.json          {"schema": "torchgrade.snapshots/2", "assignment": ...,
                             "seed": 0, "answers": {POSITION: {"inputs": TREE,
                                                               "answer": TREE}, ...}}
    snapshots.safetensors   every tensor of every entry, named "POSITION/inputs/tN"
                            or "POSITION/answer/tN"

A ``POSITION`` says which reference call of which check an entry answers
(:func:`position`): the check's id, the scenario and how many calls of that
scenario the check made before. Entries are found by position, not by the
bytes of their inputs, because the inputs are generated on the machine that
grades: another CPU's random-number kernels give the same values to within an
ulp or two, but not the same bits. The recorded inputs are kept beside each
answer, and :func:`input_difference` refuses inputs that differ by more than
the conditioning audit proved harmless (:data:`INPUT_ULPS`).

``TREE`` is a value encoded by :func:`~autograder.sandbox.protocol.encode_value`
with its tensor keys renamed to their names in the safetensors file. Both
files are written with sorted keys, so recording the same answers twice gives
the same bytes, and read back with the strict decoder: no pickle anywhere.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from autograder.registry import Assignment
from autograder.sandbox.protocol import ProtocolError, decode_value, encode_value

PUBLIC_SEED = 0
"""The fixed seed of ``torchgrade check``, whose answers the snapshots hold."""
SCHEMA = "torchgrade.snapshots/2"
JSON_NAME, TENSORS_NAME = "snapshots.json", "snapshots.safetensors"
RECORD_COMMAND = "torchgrade release --snapshots"
INPUT_ULPS = 8
"""How far, in units of the dtype's machine epsilon, a floating-point input may
sit from the recorded one. The conditioning audit nudges inputs by as much
(:mod:`autograder.sandbox.perturb`), so every check is proven to hold there."""


class SnapshotError(Exception):
    """The snapshot files are missing or unreadable; the message says how to fix it."""


@dataclass(frozen=True)
class Recording:
    """One reference call as recorded: its inputs and the reference's answer.

    Attributes:
        inputs: The scenario's keyword arguments, decoded.
        answer: What the reference returned, decoded.
    """

    inputs: dict[str, Any]
    answer: Any


Answers = dict[str, dict[str, Recording]]
"""Recorded reference calls by assignment name, then :func:`position`."""


def position(check_id: str, scenario: Callable[..., Any], count: int) -> str:
    """Names one reference call: the ``count``-th call of ``scenario`` in check ``check_id``."""
    return f"{check_id}:{scenario.__module__}.{scenario.__qualname__}:{count}"


def snapshot_dir(assignment: Assignment, root: Path | None = None) -> Path:
    """Where an assignment's snapshots live: ``root/<name>`` or beside its checks."""
    return Path(root) / assignment.name if root is not None else assignment.checks_path.parent


def encode_snapshots(assignment: Assignment, recordings: Mapping[str, Recording], *,
                     seed: int = PUBLIC_SEED) -> tuple[bytes, bytes]:
    """The bytes of ``snapshots.json`` and ``snapshots.safetensors`` for ``recordings``.

    Args:
        assignment: Whose answers they are (recorded in the JSON).
        recordings: Position -> the recorded call.
        seed: The seed the answers were recorded with.
    """
    entries: dict[str, Any] = {}
    tensors: dict[str, torch.Tensor] = {}
    for key in sorted(recordings):
        entry = {}
        for part, value in (("inputs", recordings[key].inputs),
                            ("answer", recordings[key].answer)):
            tree, own = encode_value(value)
            prefix = f"{key}/{part}"
            entry[part] = _rename(tree, functools.partial("{}/{}".format, prefix))
            tensors.update({f"{prefix}/{name}": tensor for name, tensor in own.items()})
        entries[key] = entry
    document = {"schema": SCHEMA, "assignment": assignment.name, "seed": seed,
                "answers": entries}
    text = json.dumps(document, sort_keys=True, indent=1, allow_nan=False) + "\n"
    return text.encode("utf-8"), save_tensors(dict(sorted(tensors.items())))


def snapshot_files(assignment: Assignment, recordings: Mapping[str, Recording], *,
                   root: Path | None = None, seed: int = PUBLIC_SEED) -> list[tuple[Path, bytes]]:
    """Where an assignment's snapshot files go (see :func:`snapshot_dir`) and their bytes."""
    folder = snapshot_dir(assignment, root)
    document, tensors = encode_snapshots(assignment, recordings, seed=seed)
    return [(folder / JSON_NAME, document), (folder / TENSORS_NAME, tensors)]


def _rename(tree: Any, rename: Callable[[str], str]) -> Any:
    """``tree`` with every tensor's ``key`` passed through ``rename``."""
    if isinstance(tree, dict):
        if set(tree) == {"tensor"} and isinstance(tree["tensor"], dict):
            meta = dict(tree["tensor"])
            if meta.get("key") is not None:
                meta["key"] = rename(meta["key"])
            return {"tensor": meta}
        return {k: _rename(v, rename) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_rename(v, rename) for v in tree]
    return tree


def input_difference(recorded: Any, current: Any, where: str = "inputs") -> str:
    """Says where ``current`` inputs differ from ``recorded`` ones beyond rounding, or ``""``.

    Plain values must be equal; floating-point tensors and floats may differ
    by :data:`INPUT_ULPS` machine epsilons of their dtype, relative to their
    size (what another CPU's kernels can change); everything else must be equal.
    """
    if isinstance(recorded, torch.Tensor) or isinstance(current, torch.Tensor):
        if not (type(recorded) is torch.Tensor and type(current) is torch.Tensor
                and recorded.dtype == current.dtype and recorded.shape == current.shape):
            return f"{where} changed type, dtype or shape"
        if not recorded.dtype.is_floating_point:
            return "" if torch.equal(recorded, current) else f"{where} changed"
        eps = torch.finfo(recorded.dtype).eps * INPUT_ULPS
        a, b = recorded.double(), current.double()
        close = ((a - b).abs() <= eps * torch.maximum(a.abs(), b.abs())) | (a == b)
        return "" if bool(close.all()) else f"{where} changed beyond rounding"
    if isinstance(recorded, float) and isinstance(current, float):
        same = recorded == current or (math.isnan(recorded) and math.isnan(current)) or (
            abs(recorded - current) <= 1e-15 * INPUT_ULPS * max(abs(recorded), abs(current)))
        return "" if same else f"{where} changed"
    if isinstance(recorded, (list, tuple)) and isinstance(current, (list, tuple)):
        if type(recorded) is not type(current) or len(recorded) != len(current):
            return f"{where} changed length"
        for i, (r, c) in enumerate(zip(recorded, current, strict=True)):
            problem = input_difference(r, c, f"{where}[{i}]")
            if problem:
                return problem
        return ""
    if isinstance(recorded, dict) and isinstance(current, dict):
        if recorded.keys() != current.keys():
            return f"{where} changed keys"
        for key in recorded:
            problem = input_difference(recorded[key], current[key], f"{where}[{key!r}]")
            if problem:
                return problem
        return ""
    return "" if type(recorded) is type(current) and recorded == current else f"{where} changed"


@dataclass
class SnapshotStore:
    """One assignment's recorded reference calls, from files or from memory.

    Attributes:
        path: Where they came from (named in messages).
        seed: The seed the answers were recorded with.
        trees: Position -> ``{"inputs": TREE, "answer": TREE}``.
        tensors: The tensors the trees refer to.
    """

    path: Path
    seed: int
    trees: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    @classmethod
    def load(cls, assignment: Assignment, *, root: Path | None = None) -> SnapshotStore:
        """Reads an assignment's snapshot files.

        Raises:
            SnapshotError: they are missing, unreadable or not this assignment's.
        """
        folder = snapshot_dir(assignment, root)
        path = folder / JSON_NAME
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            tensors = load_tensors((folder / TENSORS_NAME).read_bytes())
        except FileNotFoundError as error:
            raise SnapshotError(f"no public snapshots for {assignment.name} at {folder}; "
                                f"record them with `{RECORD_COMMAND}`") from error
        except Exception as error:  # noqa: BLE001 - OSError, JSON or safetensors' own errors
            raise SnapshotError(f"the public snapshots at {folder} are unreadable ({error}); "
                                f"re-record them with `{RECORD_COMMAND}`") from error
        if (type(document) is not dict or document.get("schema") != SCHEMA
                or document.get("assignment") != assignment.name
                or type(document.get("answers")) is not dict
                or type(document.get("seed")) is not int):
            raise SnapshotError(f"{path} is not a {SCHEMA} file of {assignment.name}; "
                                f"re-record it with `{RECORD_COMMAND}`")
        return cls(path=path, seed=document["seed"], trees=document["answers"],
                   tensors=tensors)

    @classmethod
    def in_memory(cls, assignment: Assignment, recordings: Mapping[str, Recording], *,
                  seed: int) -> SnapshotStore:
        """A store of calls recorded earlier in this process (e.g. by an audit)."""
        document, tensors = encode_snapshots(assignment, recordings, seed=seed)
        return cls(path=Path(f"<{assignment.name} answers recorded in memory>"), seed=seed,
                   trees=json.loads(document)["answers"], tensors=load_tensors(tensors))

    def get(self, key: str) -> Recording | None:
        """The call recorded at position ``key``, or None.

        Raises:
            SnapshotError: the recorded entry does not decode.
        """
        entry = self.trees.get(key)
        if entry is None:
            return None
        own = {name: tensor.clone() for name, tensor in self.tensors.items()
               if name.startswith(f"{key}/")}
        try:
            if type(entry) is not dict or set(entry) != {"inputs", "answer"}:
                raise ProtocolError("an entry needs exactly 'inputs' and 'answer'")
            inputs = decode_value(entry["inputs"], own)
            if type(inputs) is not dict:
                raise ProtocolError("recorded inputs are not keyword arguments")
            return Recording(inputs=inputs, answer=decode_value(entry["answer"], own))
        except ProtocolError as error:
            raise SnapshotError(f"the entry {key} in {self.path} is malformed ({error}); "
                                f"re-record the snapshots with `{RECORD_COMMAND}`") from error

    def recordings(self) -> dict[str, Recording]:
        """Every recorded call, decoded."""
        found = {key: self.get(key) for key in self.trees}
        return {key: value for key, value in found.items() if value is not None}
