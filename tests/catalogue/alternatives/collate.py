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
