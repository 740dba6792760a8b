# Carol's datasets. Mistake: a syntax error, so the file cannot be loaded at all.
import torch
from torch.utils.data import Dataset


class RegressionDataset(Dataset):
    def __init__(self, num_samples, slope=2.0, intercept=1.0, noise_std=0.1, seed=0)
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(num_samples, 1, generator=g)
        self.y = slope * self.x + intercept + noise_std * torch.randn(num_samples, 1, generator=g)
