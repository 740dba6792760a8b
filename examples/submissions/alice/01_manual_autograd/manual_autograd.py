# Alice's manual autograd. Mistake: sgd_step rebinds w1/w2 instead of updating in place.
import torch


def two_layer_forward(x, w1, w2):
    return torch.relu(x @ w1) @ w2


def sse_loss(y_pred, y):
    return ((y_pred - y) ** 2).sum()


def manual_gradients(x, y, w1, w2):
    h_pre = x @ w1
    h = h_pre.clamp(min=0)
    grad_pred = 2.0 * (h @ w2 - y)
    grad_w2 = h.T @ grad_pred
    grad_h = grad_pred @ w2.T
    grad_w1 = x.T @ (grad_h * (h_pre > 0))
    return grad_w1, grad_w2


def sgd_step(x, y, w1, w2, lr):
    loss = sse_loss(two_layer_forward(x, w1, w2), y)
    loss.backward()
    with torch.no_grad():
        w1 = w1 - lr * w1.grad  # makes a new tensor: the caller's w1 never changes
        w2 = w2 - lr * w2.grad
    return loss.item()


def train(x, y, w1, w2, lr, iterations):
    return [sgd_step(x, y, w1, w2, lr) for _ in range(iterations)]
