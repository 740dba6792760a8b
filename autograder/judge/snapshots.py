"""The public snapshots: the reference's answers for the public seed, as files.

Per assignment, two files beside its checks (package data, so they ship with
the student release)::

    snapshots.json          {"schema": "torchgrade.snapshots/1", "assignment": ...,
                             "seed": 0, "answers": {MEMO_KEY: TREE, ...}}
    snapshots.safetensors   every tensor of every answer, named "MEMO_KEY/tN"

``MEMO_KEY`` is the key under which the runtime memoises a reference answer
(a sha256 over the scenario's qualified name and its encoded inputs) and
``TREE`` is the answer encoded by :func:`~autograder.sandbox.protocol.encode_value`,
with its tensor keys renamed to their names in the safetensors file. Both
files are written with sorted keys, so recording the same answers twice gives
the same bytes, and read back with the strict decoder: no pickle anywhere.
"""

from __future__ import annotations

import functools
import json
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
SCHEMA = "torchgrade.snapshots/1"
JSON_NAME, TENSORS_NAME = "snapshots.json", "snapshots.safetensors"
RECORD_COMMAND = "torchgrade release --snapshots"


class SnapshotError(Exception):
    """The snapshot files are missing or unreadable; the message says how to fix it."""


def snapshot_dir(assignment: Assignment, root: Path | None = None) -> Path:
    """Where an assignment's snapshots live: ``root/<name>`` or beside its checks."""
    return Path(root) / assignment.name if root is not None else assignment.checks_path.parent


def encode_snapshots(assignment: Assignment, answers: Mapping[str, Any], *,
                     seed: int = PUBLIC_SEED) -> tuple[bytes, bytes]:
    """The bytes of ``snapshots.json`` and ``snapshots.safetensors`` for ``answers``.

    Args:
        assignment: Whose answers they are (recorded in the JSON).
        answers: Memo key -> decoded reference answer.
        seed: The seed the answers were recorded with.
    """
    trees: dict[str, Any] = {}
    tensors: dict[str, torch.Tensor] = {}
    for key in sorted(answers):
        tree, own = encode_value(answers[key])
        trees[key] = _rename(tree, functools.partial("{}/{}".format, key))
        tensors.update({f"{key}/{name}": tensor for name, tensor in own.items()})
    document = {"schema": SCHEMA, "assignment": assignment.name, "seed": seed,
                "answers": trees}
    text = json.dumps(document, sort_keys=True, indent=1, allow_nan=False) + "\n"
    return text.encode("utf-8"), save_tensors(dict(sorted(tensors.items())))


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


@dataclass
class SnapshotStore:
    """One assignment's snapshots, read into memory, decoded on demand.

    Attributes:
        path: The JSON file (named in messages).
        seed: The seed the answers were recorded with.
        trees: Memo key -> encoded answer.
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

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, answer)`` for a recorded key, ``(False, None)`` otherwise.

        Raises:
            SnapshotError: the recorded answer does not decode.
        """
        if key not in self.trees:
            return False, None
        own = {name: tensor.clone() for name, tensor in self.tensors.items()
               if name.startswith(f"{key}/")}
        try:
            return True, decode_value(self.trees[key], own)
        except ProtocolError as error:
            raise SnapshotError(f"the answer {key} in {self.path} is malformed ({error}); "
                                f"re-record the snapshots with `{RECORD_COMMAND}`") from error

    def answers(self) -> dict[str, Any]:
        """Every recorded answer, decoded."""
        return {key: self.get(key)[1] for key in self.trees}
