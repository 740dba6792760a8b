"""Assignment 04: batching variable-length sequences.

You will learn why the default collate function cannot stack sequences of
different lengths, how to right-pad them into one ``(B, T_max)`` tensor with
an attention mask that tells real tokens from padding, and how to hand a
configured collate function to a ``DataLoader`` so that it still works with
worker processes (it must be picklable: no lambda, no nested function).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset


def pad_collate(batch: list[dict[str, Tensor]], pad_value: int = 0) -> dict[str, Tensor]:
    """Right-pads a list of dataset items into one batch.

    Each item is ``{"input_ids": LongTensor (T_i,), "label": LongTensor ()}``
    as returned by ``TextClassificationDataset``. Allocate the padded tensor
    filled with ``pad_value``, then copy each sequence into the start of its
    row. The mask is ``True`` exactly where a real token sits, which is
    ``position < length`` for every row.

    Pitfalls:
        * Empty sequences (``T_i == 0``) are legal, and a batch of only empty
          sequences has ``T_max == 0``: ``max(..., default=0)`` covers it.
        * Do not write into the items' tensors; build new ones.
        * Keep ``pad_value`` out of the mask: a real token may equal it.

    Args:
        batch: ``B`` items, in batch order.
        pad_value: Id written into the padding positions.

    Returns:
        ``{"input_ids": LongTensor (B, T_max), "attention_mask": BoolTensor
        (B, T_max), "lengths": LongTensor (B,), "labels": LongTensor (B,)}``,
        on the device of the items.
    """
    # TODO: implement pad_collate (see the docstring above).
    raise NotImplementedError("pad_collate is not implemented yet: Right-pads a list of dataset items into one batch.")


def make_loader(
    dataset: Dataset[dict[str, Tensor]],
    batch_size: int,
    shuffle: bool = False,
    pad_value: int = 0,
    generator: torch.Generator | None = None,
) -> DataLoader[dict[str, Tensor]]:
    """Builds a ``DataLoader`` that batches with :func:`pad_collate`.

    ``functools.partial(pad_collate, pad_value=pad_value)`` fixes the padding
    id and, unlike a lambda or a nested function, can be pickled, which the
    ``spawn`` start method needs to send it to worker processes.

    Args:
        dataset: A dataset of items as ``pad_collate`` expects.
        batch_size: Items per batch; the last batch may be smaller.
        shuffle: Whether to reshuffle the order every epoch.
        pad_value: Id used for padding.
        generator: RNG for shuffling, for a reproducible order.

    Returns:
        The configured ``DataLoader``.
    """
    # TODO: implement make_loader (see the docstring above).
    raise NotImplementedError("make_loader is not implemented yet: Builds a ``DataLoader`` that batches with :func:`pad_collate`.")
