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
)
