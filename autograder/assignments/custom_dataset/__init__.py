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
    hints=(
        "A map-style `Dataset` needs only `__len__` and `__getitem__`; a `DataLoader` "
        "calls them to build batches.",
        "Behave like a list: `dataset[-1]` is the last item, and an index out of range "
        "raises `IndexError` (that is how `for item in dataset` knows to stop).",
        "Draw with your own `torch.Generator` and in the documented order (`x` first, "
        "then the noise): the same seed must give the same data, and the global RNG "
        "stays untouched.",
        "Build the vocabulary in one pass, giving a token the next id the first time "
        "you see it; `dict.setdefault` and `len(vocab)` make that short.",
        "Labels are 0-dim `LongTensor`s (`torch.tensor(3)`, not `torch.tensor([3])`), "
        "so a batch of them stacks to shape `(B,)`.",
    ),
)
