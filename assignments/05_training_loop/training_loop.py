"""Assignment 05: a device-aware training loop with checkpoints.

You will learn the five steps of a training iteration and why their order
matters, how ``model.train()``/``model.eval()`` and ``torch.no_grad()`` differ,
how to average a loss correctly over batches of unequal size, and how to save
and restore a checkpoint so that training resumes exactly where it stopped.
Batches are ``(inputs, targets)`` tuples; ``inputs``: ``(B, ...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

Batches = Iterable[tuple[Tensor, Tensor]]
LossFn = Callable[[Tensor, Tensor], Tensor]


def train_one_epoch(
    model: nn.Module,
    loader: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
) -> float:
    """Trains ``model`` for one pass over ``loader``.

    Per batch: move inputs **and** targets to ``device``,
    ``optimizer.zero_grad()``, forward, loss, ``loss.backward()``,
    ``optimizer.step()``. Without ``zero_grad()`` each batch would add its
    gradient to those of all earlier batches.

    The returned value is the mean loss per *sample*: ``loss_fn`` gives a
    batch mean, so weight it by the batch size before averaging, otherwise a
    small last batch counts as much as a full one. Use ``loss.item()`` to get
    a float; keeping ``loss`` itself would keep its whole graph alive.

    Args:
        model: A module already on ``device``.
        loader: Yields ``(inputs, targets)`` batches.
        loss_fn: Returns the mean loss of a batch (e.g. ``nn.MSELoss()``).
        optimizer: Optimizer over ``model``'s parameters.
        device: Where to run the batches.

    Returns:
        The mean training loss per sample (NaN for an empty loader).
    """
    # TODO: implement train_one_epoch (see the docstring above).
    raise NotImplementedError("train_one_epoch is not implemented yet: Trains ``model`` for one pass over ``loader``.")


def evaluate(model: nn.Module, loader: Batches, loss_fn: LossFn, device: torch.device) -> float:
    """Computes the mean loss per sample without training.

    ``model.eval()`` switches layers such as dropout and batch norm to their
    inference behaviour; ``torch.no_grad()`` stops autograd from recording a
    graph. They do different things, and evaluation needs both. No parameter
    and no ``.grad`` changes.

    Args:
        model, loader, loss_fn, device: As for :func:`train_one_epoch`.

    Returns:
        The mean loss per sample (NaN for an empty loader).
    """
    # TODO: implement evaluate (see the docstring above).
    raise NotImplementedError("evaluate is not implemented yet: Computes the mean loss per sample without training.")


def fit(
    model: nn.Module,
    train_loader: Batches,
    val_loader: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    epochs: int,
) -> dict[str, list[float]]:
    """Alternates one training epoch and one validation pass, ``epochs`` times.

    Returns:
        ``{"train_loss": [...], "val_loss": [...]}``, one entry per epoch.
    """
    # TODO: implement fit (see the docstring above).
    raise NotImplementedError("fit is not implemented yet: Alternates one training epoch and one validation pass, ``epochs`` times.")


def save_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int
) -> None:
    """Saves everything needed to resume training, in one ``torch.save``.

    The optimizer state matters as much as the weights: momentum buffers and
    Adam's moment estimates and step count all shape the next update. The
    model's ``state_dict()`` also holds buffers such as batch-norm statistics.

    Args:
        path: File to write.
        model, optimizer: Whose ``state_dict()`` to save.
        epoch: Number of completed epochs.
    """
    # TODO: implement save_checkpoint (see the docstring above).
    raise NotImplementedError("save_checkpoint is not implemented yet: Saves everything needed to resume training, in one ``torch.save``.")


def load_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: torch.optim.Optimizer
) -> int:
    """Restores a checkpoint written by :func:`save_checkpoint`.

    Load *into* the existing ``model`` and ``optimizer``: ``load_state_dict``
    copies into the current parameters, which the optimizer keeps updating.
    ``map_location="cpu"`` works whatever device saved the file; the two
    ``load_state_dict`` calls then move each value to its parameter's device
    and dtype, and leave on the CPU what the optimizer keeps there (Adam's
    ``step``), exactly as in uninterrupted training. ``weights_only=True``
    refuses to run code hidden in the file. The RNG state of shuffling or
    dropout is the caller's to restore.

    Args:
        path: File written by :func:`save_checkpoint`.
        model: A model of the same architecture, already on its device.
        optimizer: An optimizer of the same kind over ``model``'s parameters.

    Returns:
        The saved epoch.
    """
    # TODO: implement load_checkpoint (see the docstring above).
    raise NotImplementedError("load_checkpoint is not implemented yet: Restores a checkpoint written by :func:`save_checkpoint`.")
