# Carol's collate. Mistake: make_loader uses a lambda, which spawn workers cannot pickle.
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader


def pad_collate(batch, pad_value=0):
    seqs = [item["input_ids"] for item in batch]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = pad_sequence(seqs, batch_first=True, padding_value=pad_value)
    positions = torch.arange(ids.shape[1])
    mask = positions[None, :] < lengths[:, None]
    labels = torch.stack([item["label"] for item in batch])
    return {"input_ids": ids, "attention_mask": mask, "lengths": lengths, "labels": labels}


def make_loader(dataset, batch_size, shuffle=False, pad_value=0, generator=None):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      collate_fn=lambda batch: pad_collate(batch, pad_value))
