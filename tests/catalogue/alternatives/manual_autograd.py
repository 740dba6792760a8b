"""Correct alternatives for 01_manual_autograd."""

from __future__ import annotations

from autograder.catalogue import Alternative, Replace, Solution

A = "01_manual_autograd"

UPDATE = """    with torch.no_grad():
        w1 -= lr * w1.grad
        w2 -= lr * w2.grad
    w1.grad.zero_()
    w2.grad.zero_()
    return loss.item()"""

ALTERNATIVES = [
    Alternative(
        name="functional_and_where", assignment=A, why="F.relu, mm, torch.where for the mask",
        edits=(Replace("torch.relu(x @ w1) @ w2", "torch.nn.functional.relu(x.mm(w1)).mm(w2)"),
               Replace("return (y_pred - y).pow(2).sum()", "return torch.sum((y_pred - y) ** 2)"),
               Solution("manual_gradients", """
h = x @ w1
h_relu = torch.relu(h)
grad_y_pred = 2 * (h_relu @ w2 - y)
grad_w2 = h_relu.t() @ grad_y_pred
grad_h = torch.where(h > 0, grad_y_pred @ w2.t(), torch.zeros_like(h))
return x.t() @ grad_h, grad_w2
"""))),
    Alternative(
        name="clamp_and_masked_assignment", assignment=A,
        why="clamp for ReLU, inference_mode, grad_h[~mask] = 0",
        edits=(Replace("torch.relu(x @ w1) @ w2", "(x @ w1).clamp(min=0) @ w2"),
               Solution("manual_gradients", """
with torch.inference_mode():
    h = x.matmul(w1)
    mask = h > 0
    h_relu = h * mask
    grad_y_pred = (h_relu @ w2 - y) * 2
    grad_w2 = h_relu.transpose(0, 1) @ grad_y_pred
    grad_h = grad_y_pred @ w2.transpose(0, 1)
    grad_h[~mask] = 0
    grad_w1 = x.transpose(0, 1) @ grad_h
return grad_w1.clone(), grad_w2.clone()
"""))),
    # Reading values is legitimate on any device (SPEC §2): the stand-in GPU carries them.
    Alternative(
        name="reads_values", assignment=A,
        why="int(mask.sum()), bool(torch.isfinite(...).all()), .tolist(), .item() and zeros "
            "created with device=h.device",
        edits=(Solution("manual_gradients", """
h = x @ w1
active = h > 0
if min(h.abs().flatten().tolist(), default=1.0) == 0.0:
    warnings.warn("a ReLU input is exactly 0: its gradient there is taken as 0")
h_relu = torch.where(active, h, torch.zeros(h.shape, device=h.device, dtype=h.dtype))
y_pred = h_relu @ w2
if not bool(torch.isfinite(y_pred).all()):
    loss = (y_pred - y).pow(2).sum().item()
    raise FloatingPointError(f"the forward pass overflowed (loss {loss})")
grad_y_pred = 2.0 * (y_pred - y)
grad_w2 = h_relu.T @ grad_y_pred
grad_h = grad_y_pred @ w2.T
if int(active.sum()) < h.numel():
    grad_h = grad_h * active
return (x.T @ grad_h).detach(), grad_w2.detach()
"""), Replace("import torch\n", "import warnings\n\nimport torch\n"))),
    Alternative(
        name="optimizer_step_set_to_none", assignment=A,
        why="torch.optim.SGD and zero_grad(set_to_none=True)",
        edits=(Replace(UPDATE, """    opt = torch.optim.SGD([w1, w2], lr=lr)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return float(loss)"""),)),
]
