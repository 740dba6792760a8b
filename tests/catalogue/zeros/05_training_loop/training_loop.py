"""Zeros of the right types for 05_training_loop."""

import torch


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    return 0.0


def evaluate(model, loader, loss_fn, device):
    return 0.0


def fit(model, train_loader, val_loader, loss_fn, optimizer, device, epochs):
    return {"train_loss": [0.0] * epochs, "val_loss": [0.0] * epochs}


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({}, path)


def load_checkpoint(path, model, optimizer):
    return 0
