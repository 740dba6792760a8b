"""Custom datasets: regression data and tokenised text"""

from __future__ import annotations

from autograder.registry import Assignment

ASSIGNMENT = Assignment(
    name="03_custom_dataset",
    module="custom_dataset",
    title="Custom datasets: regression data and tokenised text",
    package=__name__,
    goals=(
        "Implement __len__ and __getitem__ with list-like indexing and IndexError.",
        "Generate reproducible data with an explicit torch.Generator.",
        "Build a vocabulary and turn text into LongTensor token ids."
    ),
)
