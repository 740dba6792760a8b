# Alice's collate. Mistake: sequences are padded on the left.
import functools

import torch
from torch.utils.data import DataLoader


def pad_collate(batch, pad_value=0):
    lengths = torch.tensor([len(item["input_ids"]) for item in batch], dtype=torch.long)
    longest = int(lengths.max()) if len(batch) else 0
    ids = torch.full((len(batch), longest), pad_value, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.bool)
    for row, item in enumerate(batch):
        n = len(item["input_ids"])
        if n:
            ids[row, longest - n:] = item["input_ids"]
            mask[row, longest - n:] = True
    labels = torch.stack([item["label"] for item in batch]) if batch else torch.zeros(0).long()
    return {"input_ids": ids, "attention_mask": mask, "lengths": lengths, "labels": labels}


def make_loader(dataset, batch_size, shuffle=False, pad_value=0, generator=None):
    collate = functools.partial(pad_collate, pad_value=pad_value)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate,
                      generator=generator)
