"""Correct alternatives for 03_custom_dataset."""

from __future__ import annotations

from autograder.catalogue import Alternative, Solution

A = "03_custom_dataset"

ALTERNATIVES = [
    Alternative(
        name="lazy_items", assignment=A,
        why="keeps the raw texts and tokenises in __getitem__; pairs stored as a list",
        edits=(Solution("__init__(\n        self,\n        texts", """
if len(texts) != len(labels):
    raise ValueError("texts and labels differ in length")
self._texts = list(texts)
if vocab is None:
    vocab = {"<pad>": 0, "<unk>": 1}
    for text in self._texts:
        for token in text.lower().split():
            if token not in vocab:
                vocab[token] = len(vocab)
self.vocab = vocab
self.classes = sorted(set(labels))
self._labels = list(labels)
"""), Solution("__getitem__(self, index: int) -> dict", """
if index < -len(self) or index >= len(self):
    raise IndexError(index)
tokens = self._texts[index].lower().split()
ids = [self.vocab[t] if t in self.vocab else 1 for t in tokens]
return {"input_ids": torch.LongTensor(ids),
        "label": torch.tensor(self.classes.index(self._labels[index]))}
"""), Solution("__len__(self) -> int:\n        \"\"\"Returns the number of texts", """
return len(self._texts)
"""))),
    Alternative(
        name="forked_global_rng", assignment=A,
        why="torch.random.fork_rng with manual_seed: same draws, global state restored; "
            "samples stored as a list of pairs",
        edits=(Solution("__init__(\n        self,\n        num_samples", """
with torch.random.fork_rng():
    torch.manual_seed(seed)
    x = torch.randn(num_samples, 1)
    noise = torch.randn(num_samples, 1)
self.pairs = list(zip(x, intercept + slope * x + noise_std * noise))
"""), Solution("__len__(self) -> int:\n        \"\"\"Returns the number of samples", """
return len(self.pairs)
"""), Solution("__getitem__(self, index: int) -> tuple", """
return self.pairs[index]
"""))),
]
