"""Zeros of the right shapes for 01_manual_autograd."""

import torch


def two_layer_forward(x, w1, w2):
    return torch.zeros(x.shape[0], w2.shape[1])


def sse_loss(y_pred, y):
    return torch.zeros(())


def manual_gradients(x, y, w1, w2):
    return torch.zeros(w1.shape), torch.zeros(w2.shape)


def sgd_step(x, y, w1, w2, lr):
    return 0.0


def train(x, y, w1, w2, lr, iterations):
    return [0.0] * iterations
