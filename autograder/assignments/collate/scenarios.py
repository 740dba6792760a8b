"""Scenarios for 04_collate: run inside the sandbox on the student's module.

The dataset items are built here from plain lists, never with the student's
03 code, so that this assignment is graded on its own. ``NotImplementedError``
always propagates, so an untouched stub is reported as not implemented.
The checks put the items on the CPU (see ``checks.ITEMS_DEVICE``).
"""

from __future__ import annotations

import pickle
from typing import Any

import torch
from torch.utils.data import DataLoader

from autograder.sandbox.generic import reseed, same


def _items(seqs: list[list[int]], labels: list[int], device: str) -> list[dict[str, Any]]:
    """Dataset items as TextClassificationDataset returns them."""
    return [{"input_ids": torch.tensor(seq, dtype=torch.long, device=device),
             "label": torch.tensor(label, dtype=torch.long, device=device)}
            for seq, label in zip(seqs, labels, strict=True)]


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def collate(mod: Any, seqs: list[list[int]], labels: list[int], pad_value: int | None,
            device: str) -> dict[str, Any]:
    """pad_collate's output, and whether the items survived it unchanged."""
    items = _items(seqs, labels, device)
    copies = [{key: value.clone() for key, value in item.items()} for item in items]
    out = (mod.pad_collate(items) if pad_value is None
           else mod.pad_collate(items, pad_value=pad_value))
    return {"out": out, "is_dict": isinstance(out, dict),
            "items_unchanged": same(items, copies)}


class _Recorder(list):  # type: ignore[type-arg]
    """A list dataset that records which indices the loader reads, in order.

    Like TextClassificationDataset it hands out fresh tensors, so a
    pad_collate that writes into its items cannot spoil the next epoch.
    """

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.seen: list[int] = []

    def __getitem__(self, index: Any) -> Any:
        self.seen.append(int(index))
        return {key: value.clone() for key, value in super().__getitem__(index).items()}


def loader_batches(mod: Any, seqs: list[list[int]], labels: list[int], batch_size: int,
                   pad_value: int | None, shuffle: bool | None, seed: int | None,
                   global_seed: int, epochs: int, device: str) -> dict[str, Any]:
    """Batches of make_loader, the indices each batch read, and pad_collate of those items.

    Arguments left as None are not passed (defaults); ``seed`` seeds the
    generator handed to make_loader.
    """
    dataset = _Recorder(_items(seqs, labels, device))
    options: dict[str, Any] = {}
    if pad_value is not None:
        options["pad_value"] = pad_value
    if shuffle is not None:
        options["shuffle"] = shuffle
    if seed is not None:
        options["generator"] = torch.Generator().manual_seed(seed)
    reseed(global_seed)
    loader = mod.make_loader(dataset, batch_size, **options)
    runs = []
    for _ in range(epochs):
        batches, indices = [], []
        for batch in loader:
            indices.append(list(dataset.seen))
            dataset.seen.clear()
            batches.append(batch)
        items = _items(seqs, labels, device)
        direct = [mod.pad_collate([items[i] for i in chunk],
                                  pad_value=0 if pad_value is None else pad_value)
                  for chunk in indices]
        runs.append({"indices": indices, "batches": batches, "direct": direct})
    return {"is_loader": isinstance(loader, DataLoader), "epochs": runs}


def loader_pickle(mod: Any, seqs: list[list[int]], labels: list[int], batch_size: int,
                  pad_value: int, device: str) -> dict[str, Any]:
    """Whether the loader and its collate_fn survive pickle, as spawn workers need."""
    loader = mod.make_loader(_items(seqs, labels, device), batch_size, pad_value=pad_value)
    result = {"collate_error": "", "loader_error": "", "same_batches": False,
              "batch_count": len(loader)}
    try:
        pickle.loads(pickle.dumps(loader.collate_fn))
    except Exception as error:  # noqa: BLE001 - explained to the student by the judge
        result["collate_error"] = _error(error)
    try:
        clone = pickle.loads(pickle.dumps(loader))
    except Exception as error:  # noqa: BLE001 - explained to the student by the judge
        result["loader_error"] = _error(error)
    else:
        result["same_batches"] = same(*(_epoch(each) for each in (loader, clone)))
    return result


def _epoch(loader: Any) -> Any:
    """One epoch's batches, or None when pad_collate fails (graded by other checks)."""
    reseed(0)  # the same order even if the loader shuffles from the global RNG
    try:
        return list(loader)
    except Exception:  # noqa: BLE001 - pad_collate's own errors (or stub) cost points elsewhere
        return None
