"""Padding collate_fn and DataLoader"""

from __future__ import annotations

from autograder.registry import Assignment

ASSIGNMENT = Assignment(
    name="04_collate",
    module="collate",
    title="Padding collate_fn and DataLoader",
    package=__name__,
    goals=(
        "Pad variable-length sequences into one batch tensor with an attention mask.",
        "Keep lengths and labels aligned with the batch order.",
        "Build a DataLoader whose collate_fn survives pickling for worker processes."
    ),
    hints=(
        "The default `collate_fn` stacks tensors and fails on sequences of different "
        "lengths: that is why you write your own.",
        "Allocate the padded batch first with `torch.full((B, T_max), pad_value, ...)`, "
        "then copy each sequence into the start of its row.",
        "Build the attention mask from the lengths, not from `input_ids != pad_value`: "
        "a real token may have the pad id.",
        "Empty sequences are legal: `max(lengths, default=0)` works even when every "
        "sequence is empty.",
        "Worker processes started with `spawn` pickle the `collate_fn`: use "
        "`functools.partial`, not a lambda or a nested function.",
    ),
)
