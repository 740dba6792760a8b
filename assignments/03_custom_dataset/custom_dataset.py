"""Assignment 03: writing map-style ``torch.utils.data.Dataset`` classes.

You will learn the two methods a ``Dataset`` needs (``__len__`` and
``__getitem__``), how to make generated data reproducible with a private
``torch.Generator``, how to behave like a Python sequence (negative indices,
``IndexError``), and how to turn raw text into token ids with a vocabulary.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import torch
from torch import Tensor
from torch.utils.data import Dataset


class RegressionDataset(Dataset[tuple[Tensor, Tensor]]):
    """Noisy points on a line: ``y = slope * x + intercept + noise_std * noise``.

    Attributes:
        x: Inputs, float32, shape ``(num_samples, 1)``.
        y: Targets, float32, shape ``(num_samples, 1)``.
    """

    def __init__(
        self,
        num_samples: int,
        slope: float = 2.0,
        intercept: float = 1.0,
        noise_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        """Generates the whole dataset once, reproducibly.

        Use ``g = torch.Generator().manual_seed(seed)`` and draw ``x`` first,
        then ``noise``, both with ``torch.randn(num_samples, 1, generator=g)``.
        A private generator leaves the global RNG alone, and the fixed order of
        draws makes the same ``seed`` give the same data everywhere.

        Args:
            num_samples: Number of points ``N``.
            slope: Slope of the line.
            intercept: Intercept of the line.
            noise_std: Standard deviation of the Gaussian noise.
            seed: Seed of the private generator.
        """
        # TODO: implement RegressionDataset.__init__ (see the docstring above).
        raise NotImplementedError("RegressionDataset.__init__ is not implemented yet: Generates the whole dataset once, reproducibly.")

    def __len__(self) -> int:
        """Returns the number of samples ``N``."""
        # TODO: implement RegressionDataset.__len__ (see the docstring above).
        raise NotImplementedError("RegressionDataset.__len__ is not implemented yet: Returns the number of samples ``N``.")

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        """Returns sample ``index`` as ``(x, y)``, each of shape ``(1,)``.

        Negative indices count from the end, as for a list. Check the range
        yourself: ``IndexError`` is how ``for item in dataset`` knows to stop.

        Raises:
            IndexError: If ``index`` is not in ``[-N, N)``.
        """
        # TODO: implement RegressionDataset.__getitem__ (see the docstring above).
        raise NotImplementedError("RegressionDataset.__getitem__ is not implemented yet: Returns sample ``index`` as ``(x, y)``, each of shape ``(1,)``.")


class TextClassificationDataset(Dataset[dict[str, Tensor]]):
    """Texts turned into token ids, with integer class labels.

    Attributes:
        vocab: Token -> id; ``"<pad>"`` is 0 and ``"<unk>"`` is 1.
        classes: The sorted unique labels; a label's id is its index here.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[str | int],
        vocab: dict[str, int] | None = None,
    ) -> None:
        """Tokenises every text and maps tokens and labels to ids.

        Tokens are ``text.lower().split()``. Without ``vocab``, build one from
        ``texts``: ``{"<pad>": 0, "<unk>": 1}``, then each new token gets the
        next id in order of first appearance. With ``vocab`` (e.g. a validation
        set reusing the training vocabulary), use it as is; tokens missing
        from it map to 1 (``<unk>``). Neither the inputs nor a given ``vocab``
        are modified.

        Args:
            texts: ``M`` strings.
            labels: ``M`` labels of one sortable type (e.g. ``str`` or ``int``).
            vocab: An existing vocabulary, or ``None`` to build one.

        Raises:
            ValueError: If ``texts`` and ``labels`` differ in length.
        """
        # TODO: implement TextClassificationDataset.__init__ (see the docstring above).
        raise NotImplementedError("TextClassificationDataset.__init__ is not implemented yet: Tokenises every text and maps tokens and labels to ids.")

    def __len__(self) -> int:
        """Returns the number of texts ``M``."""
        # TODO: implement TextClassificationDataset.__len__ (see the docstring above).
        raise NotImplementedError("TextClassificationDataset.__len__ is not implemented yet: Returns the number of texts ``M``.")

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        """Returns item ``index`` as fresh tensors.

        Returns:
            ``{"input_ids": LongTensor (T_i,), "label": LongTensor ()}``, where
            ``T_i`` is the number of tokens (possibly 0) and the label is a
            0-dim tensor, so a batch of labels stacks to shape ``(B,)``.

        Raises:
            IndexError: If ``index`` is not in ``[-M, M)``.
        """
        # TODO: implement TextClassificationDataset.__getitem__ (see the docstring above).
        raise NotImplementedError("TextClassificationDataset.__getitem__ is not implemented yet: Returns item ``index`` as fresh tensors.")
