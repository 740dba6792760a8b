"""Assignment 02: a fully connected layer as your own ``nn.Module``.

You will learn how a module registers its parameters (``nn.Parameter``
attributes are found by ``parameters()``, moved by ``.to()`` and saved in the
``state_dict``), how ``nn.Linear`` initialises them, how to honour the
``device``/``dtype`` factory arguments, and how one matrix product handles
any number of leading batch dimensions.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class MyLinear(nn.Module):
    """A drop-in replacement for ``nn.Linear``: ``y = x @ weight.T + bias``.

    Attributes:
        weight: ``nn.Parameter`` of shape ``(out_features, in_features)``;
            note the order, the same as ``nn.Linear``, so state dicts match.
        bias: ``nn.Parameter`` of shape ``(out_features,)``, or ``None`` when
            built with ``bias=False``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        """Creates and initialises the parameters.

        Every value is drawn from ``U(-1/sqrt(in_features), 1/sqrt(in_features))``,
        the weight first, then the bias, as ``nn.Linear`` does.

        Pitfalls:
            * Call ``super().__init__()`` first, or assigning a parameter fails.
            * A plain tensor attribute is *not* a parameter: wrap it in
              ``nn.Parameter`` so the optimizer and ``state_dict`` see it.
            * Without a bias, ``self.register_parameter("bias", None)`` keeps
              ``self.bias`` defined (as ``None``) without adding a state-dict key.
            * Create the tensors directly with ``device=``/``dtype=`` (no CPU
              copy first, then a move to the GPU). Beware
              ``nn.Parameter(t).to(device)``: it returns a plain, non-leaf
              tensor, not a parameter.

        Args:
            in_features: Size of the last input dimension, ``D_in``.
            out_features: Size of the last output dimension, ``D_out``.
            bias: Whether to learn an additive bias.
            device: Where to create the parameters (default: the current one).
            dtype: Dtype of the parameters (default: the current default dtype).
        """
        ### BEGIN SOLUTION
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(
            torch.empty(out_features, in_features, device=device, dtype=dtype)
        )
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
        with torch.no_grad():  # initialisation is not part of any graph
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Applies the layer to the last dimension of ``x``.

        ``@`` broadcasts over leading dimensions, so one line covers a single
        vector, a batch and a batch of sequences alike. The bias ``(D_out,)``
        broadcasts against the last dimension of the product.

        Args:
            x: Input of shape ``(..., in_features)``.

        Returns:
            Output of shape ``(..., out_features)``.
        """
        ### BEGIN SOLUTION
        out = x @ self.weight.T
        if self.bias is not None:
            out = out + self.bias
        return out
        ### END SOLUTION
