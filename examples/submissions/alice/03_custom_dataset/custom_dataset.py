# Alice's datasets. Mistake: the vocabulary is sorted instead of kept in order of first appearance.
import torch
from torch.utils.data import Dataset


class RegressionDataset(Dataset):
    def __init__(self, num_samples, slope=2.0, intercept=1.0, noise_std=0.1, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(num_samples, 1, generator=g)
        noise = torch.randn(num_samples, 1, generator=g)
        self.y = slope * self.x + intercept + noise_std * noise

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self.x[i], self.y[i]


class TextClassificationDataset(Dataset):
    def __init__(self, texts, labels, vocab=None):
        self.tokens = [t.lower().split() for t in texts]
        if vocab is None:
            words = sorted({w for toks in self.tokens for w in toks})
            vocab = {"<pad>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(words)}}
        self.vocab = vocab
        self.classes = sorted(set(labels))
        self.labels = [self.classes.index(label) for label in labels]

    def __len__(self):
        return len(self.tokens)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        ids = [self.vocab.get(w, 1) for w in self.tokens[i]]
        return {"input_ids": torch.tensor(ids, dtype=torch.long),
                "label": torch.tensor(self.labels[i])}
