# Carol's manual autograd. Mistake: the hand-derived gradient of w1 forgets the ReLU mask.
import torch


def two_layer_forward(x, w1, w2):
    return (x @ w1).clamp(min=0) @ w2


def sse_loss(y_pred, y):
    return (y_pred - y).pow(2).sum()


def manual_gradients(x, y, w1, w2):
    h = (x @ w1).clamp(min=0)
    d_out = 2 * (h @ w2 - y)
    grad_w2 = h.t() @ d_out
    grad_w1 = x.t() @ (d_out @ w2.t())  # should be masked where x @ w1 <= 0
    return grad_w1, grad_w2


def sgd_step(x, y, w1, w2, lr):
    loss = sse_loss(two_layer_forward(x, w1, w2), y)
    loss.backward()
    with torch.no_grad():
        w1 -= lr * w1.grad
        w2 -= lr * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
    return loss.item()


def train(x, y, w1, w2, lr, iterations):
    losses = []
    for _ in range(iterations):
        losses.append(sgd_step(x, y, w1, w2, lr))
    return losses
