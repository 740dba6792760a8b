"""Correct alternatives for 04_collate."""

from __future__ import annotations

from autograder.catalogue import Alternative, Replace, Solution

A = "04_collate"

ALTERNATIVES = [
    Alternative(
        name="pad_sequence", assignment=A, why="pad_sequence, torch.where mask, torch.stack",
        edits=(Solution("pad_collate", """
from torch.nn.utils.rnn import pad_sequence

seqs = [item["input_ids"] for item in batch]
input_ids = pad_sequence(seqs, batch_first=True, padding_value=pad_value)
lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long, device=input_ids.device)
positions = torch.arange(input_ids.shape[1], device=input_ids.device)
mask = torch.where(positions.unsqueeze(0) < lengths.unsqueeze(1), True, False)
return {"input_ids": input_ids, "attention_mask": mask, "lengths": lengths,
        "labels": torch.stack([item["label"] for item in batch])}
"""),)),
    # The collate functions of widely used NLP toolkits read values: lengths and labels
    # go through Python ints. Right on the CPU, where collate functions run (SPEC §2).
    Alternative(
        name="toolkit_style", assignment=A,
        why="lengths via torch.tensor([len(...)]), max_len = int(lengths.max()), a Python "
            "loop over rows with .item(), labels via torch.tensor([int(label) ...])",
        edits=(Solution("pad_collate", """
lengths = torch.tensor([len(item["input_ids"]) for item in batch], dtype=torch.long)
max_len = int(lengths.max())
input_ids = torch.full((len(batch), max_len), pad_value, dtype=torch.long)
attention_mask = torch.zeros((len(batch), max_len), dtype=torch.bool)
for i, item in enumerate(batch):
    length = lengths[i].item()
    input_ids[i, :length] = item["input_ids"]
    attention_mask[i, :length] = True
labels = torch.tensor([int(item["label"]) for item in batch])
return {"input_ids": input_ids, "attention_mask": attention_mask, "lengths": lengths,
        "labels": labels}
"""),)),
    Alternative(
        name="tolist_and_item", assignment=A,
        why="ids copied through .tolist(), labels through .item(), mask from a list of rows",
        edits=(Solution("pad_collate", """
rows = [item["input_ids"].tolist() for item in batch]
max_len = max((len(row) for row in rows), default=0)
padded = [row + [pad_value] * (max_len - len(row)) for row in rows]
mask = [[True] * len(row) + [False] * (max_len - len(row)) for row in rows]
return {"input_ids": torch.tensor(padded, dtype=torch.long).reshape(len(rows), max_len),
        "attention_mask": torch.tensor(mask, dtype=torch.bool).reshape(len(rows), max_len),
        "lengths": torch.tensor([len(row) for row in rows], dtype=torch.long),
        "labels": torch.tensor([item["label"].item() for item in batch], dtype=torch.long)}
"""),)),
    Alternative(
        name="collator_class", assignment=A,
        why="a picklable callable class instance instead of functools.partial",
        edits=(Replace("def make_loader(", '''class PadCollator:
    def __init__(self, pad_value: int) -> None:
        self.pad_value = pad_value

    def __call__(self, batch):
        return pad_collate(batch, self.pad_value)


def make_loader('''),
               Replace("collate_fn=functools.partial(pad_collate, pad_value=pad_value),",
                       "collate_fn=PadCollator(pad_value),"))),
]
