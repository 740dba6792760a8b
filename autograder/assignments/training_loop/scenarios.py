"""Scenarios for 05_training_loop: run inside the sandbox on the student's module.

Every scenario builds its own model (seeded), data loader, loss and optimizer
from the tensors it is given, so that the student's code and the reference see
exactly the same objects. Loaders never shuffle and their batch size does not
divide the data set, so the last batch is smaller than the others.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, TensorDataset, default_collate

from autograder.sandbox.generic import reseed


class RecordingMSELoss(nn.MSELoss):
    """``nn.MSELoss()`` noting, per call, the grad mode, whether its output tracks a graph
    and its arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.grad_enabled: list[bool] = []
        self.requires_grad: list[bool] = []
        self.arguments: list[torch.Tensor] = []

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: A002
        loss = super().forward(input, target)
        self.grad_enabled.append(torch.is_grad_enabled())
        self.requires_grad.append(bool(loss.requires_grad))
        self.arguments += [input, target]
        return loss


class MoveRecorder(TorchFunctionMode):
    """Notes every ``Tensor.to``/``.cuda()``/``.cpu()`` call: source, result, target device.

    It stands in for an accelerator on a CPU-only machine: a move to a device
    that does not exist here (``cuda``) is recorded and left undone, so that
    the scenario runs to the end and can say what went wrong.
    """

    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[torch.Tensor, torch.Tensor, str]] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        target = _move_target(func, args, kwargs)
        if target is None:
            return func(*args, **kwargs)
        if target.type == "cuda" and not torch.cuda.is_available():
            result = args[0]
        else:
            result = func(*args, **kwargs)
        self.moves.append((args[0], result, str(target)))
        return result


def _move_target(func: Any, args: Any, kwargs: dict[str, Any]) -> torch.device | None:
    if func is torch.Tensor.to and args:
        return torch._C._nn._parse_to(*args[1:], **kwargs)[0]
    if func is torch.Tensor.cuda:
        return torch.device("cuda")
    if func is torch.Tensor.cpu:
        return torch.device("cpu")
    return None


def _model(kind: str, sizes: tuple[int, int], seed: int, device: str,
           dtype: torch.dtype = torch.float32) -> nn.Module:
    """A tiny seeded model; ``kind`` picks the layers whose mode matters.

    In ``batchnorm`` the first layer's bias has a gradient that is zero in
    exact arithmetic (batch norm subtracts the batch mean): fine where
    nothing is trained or compared across runs, ill-conditioned where
    training is compared, so ``normalized`` drops that bias, as is usual
    before batch norm. The parameters are drawn in ``dtype`` itself: other
    CPUs draw them to within an ulp of it, so a float64 model stays float64-exact.
    """
    reseed(seed, device)
    n_in, n_out = sizes
    on: dict[str, Any] = {"device": device, "dtype": dtype}
    builders: dict[str, Callable[[], list[nn.Module]]] = {
        "mlp": lambda: [nn.Linear(n_in, 6, **on), nn.ReLU(), nn.Linear(6, n_out, **on)],
        "batchnorm": lambda: [nn.Linear(n_in, 6, **on), nn.BatchNorm1d(6, **on), nn.ReLU(),
                              nn.Linear(6, n_out, **on)],
        "normalized": lambda: [nn.Linear(n_in, 6, bias=False, **on), nn.BatchNorm1d(6, **on),
                               nn.ReLU(), nn.Linear(6, n_out, **on)],
        "dropout": lambda: [nn.Linear(n_in, 8, **on), nn.BatchNorm1d(8, **on), nn.ReLU(),
                            nn.Dropout(0.4), nn.Linear(8, n_out, **on)],
    }
    return nn.Sequential(*builders[kind]())


def _optimizer(name: str, model: nn.Module) -> torch.optim.Optimizer:
    """Adam, SGD with momentum, or SGD with lr=0 ("frozen": the losses stay those of the
    initial parameters, so a loss check does not depend on how the updates went)."""
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=0.02)
    if name == "frozen":
        return torch.optim.SGD(model.parameters(), lr=0.0)
    return torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def _loader(inputs: torch.Tensor, targets: torch.Tensor, batch_size: int,
            collate: Callable[[Any], Any] | None = None) -> DataLoader[Any]:
    return DataLoader(TensorDataset(inputs, targets), batch_size=batch_size, shuffle=False,
                      collate_fn=collate)


def _sizes(inputs: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
    return inputs.shape[1], targets.shape[1]


def _state(model: nn.Module) -> dict[str, Any]:
    return {"parameters": {name: p.detach().clone() for name, p in model.named_parameters()},
            "buffers": {name: b.clone() for name, b in model.named_buffers()}}


def _watch(model: nn.Module) -> tuple[list[str], list[bool]]:
    """Records, at every forward pass, the modules' mode and whether grad mode is on.

    The hook sits on the first layer, so it fires for ``model.forward(x)`` too:
    "train" when every module trains, "eval" when none does, else "mixed".
    """
    modes: list[str] = []
    grad_modes: list[bool] = []

    def hook(module: nn.Module, args: Any) -> None:
        flags = {m.training for m in model.modules()}
        modes.append("mixed" if len(flags) > 1 else "train" if flags.pop() else "eval")
        grad_modes.append(torch.is_grad_enabled())

    next(iter(model.children())).register_forward_pre_hook(hook)
    return modes, grad_modes


def _plain(value: Any) -> Any:
    """The value itself when the grader can carry it, else a short description."""
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return value
    return f"a {type(value).__name__}"


def train_epoch(mod: Any, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int,
                seed: int, kind: str, optimizer: str, start_mode: str, device: str
                ) -> dict[str, Any]:
    """One ``train_one_epoch`` call; records the gradients each ``step()`` uses."""
    model = _model(kind, _sizes(inputs, targets), seed, device)
    model.train(start_mode == "train")
    modes, _ = _watch(model)
    opt = _optimizer(optimizer, model)
    params = list(model.named_parameters())
    step_grads: list[dict[str, torch.Tensor | None]] = []
    opt.register_step_pre_hook(lambda *_: step_grads.append(
        {name: None if p.grad is None else p.grad.detach().clone() for name, p in params}))
    reseed(seed + 1, device)
    loss = mod.train_one_epoch(model, _loader(inputs, targets, batch_size), nn.MSELoss(), opt,
                               torch.device(device))
    return {"loss": _plain(loss), "step_grads": step_grads, "forward_modes": modes,
            "training_after": model.training, **_state(model)}


def evaluate(mod: Any, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int,
             seed: int, with_grads: bool, device: str) -> dict[str, Any]:
    """One ``evaluate`` call on a dropout/batch-norm model left in training mode."""
    model = _model("dropout", _sizes(inputs, targets), seed, device)
    with torch.no_grad():
        model(inputs.to(device))  # moves the batch-norm statistics away from 0 and 1
    if with_grads:
        for i, p in enumerate(model.parameters()):
            p.grad = torch.linspace(-1.0, 1.0, p.numel(), device=device).reshape(p.shape) * (i + 1)
    before = _state(model)
    grads_before = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    modes, grad_modes = _watch(model)
    loss_fn = RecordingMSELoss()
    reseed(seed + 1, device)
    loss = mod.evaluate(model, _loader(inputs, targets, batch_size), loss_fn, torch.device(device))
    after = _state(model)
    grads_after = [p.grad for p in model.parameters()]
    return {
        "loss": _plain(loss), "forward_modes": modes, "training_after": model.training,
        "parameters_unchanged": _same(before["parameters"], after["parameters"]),
        "buffers_unchanged": _same(before["buffers"], after["buffers"]),
        "grads_unchanged": _same(grads_before, grads_after),
        "grad_enabled_in_forward": grad_modes, "grad_enabled_in_loss": loss_fn.grad_enabled,
        "loss_requires_grad": loss_fn.requires_grad,
    }


def _same(a: Any, b: Any) -> bool:
    """Exact equality of nested dicts/lists of tensors and plain values (any device)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.shape == b.shape and a.dtype == b.dtype
                and bool(torch.equal(a.cpu(), b.cpu())))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def fit(mod: Any, inputs: torch.Tensor, targets: torch.Tensor, val_inputs: torch.Tensor,
        val_targets: torch.Tensor, seed: int, epochs: int, device: str) -> dict[str, Any]:
    """One ``fit`` call with Adam; the history and the final parameters."""
    model = _model("mlp", _sizes(inputs, targets), seed, device)
    opt = _optimizer("adam", model)
    history = mod.fit(model, _loader(inputs, targets, 5), _loader(val_inputs, val_targets, 4),
                      nn.MSELoss(), opt, torch.device(device), epochs)
    if isinstance(history, dict):
        history = {str(k): [_plain(x) for x in v] if isinstance(v, (list, tuple)) else _plain(v)
                   for k, v in history.items()}
    return {"history": _plain(history) if not isinstance(history, dict) else history,
            **_state(model)}


def _trusted_epoch(model: nn.Module, loader: DataLoader[Any], optimizer: torch.optim.Optimizer,
                   device: str) -> float:
    """The grader's own training epoch, so checkpoint checks do not depend on yours."""
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * len(x), count + len(x)
    return total / count


def _trusted_evaluate(model: nn.Module, loader: DataLoader[Any], device: str) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            total += nn.functional.mse_loss(model(x), y).item() * len(x)
            count += len(x)
    return total / count


def checkpoint_file(mod: Any, inputs: torch.Tensor, targets: torch.Tensor, seed: int,
                    epoch: int, device: str) -> dict[str, Any]:
    """``save_checkpoint`` after some training; the file is read back safely."""
    model = _model("batchnorm", _sizes(inputs, targets), seed, device)
    opt = _optimizer("adam", model)
    _trusted_epoch(model, _loader(inputs, targets, 5), opt, device)
    mod.save_checkpoint("checkpoint_file.pt", model, opt, epoch)
    try:
        saved = torch.load("checkpoint_file.pt", map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - an unreadable file is the student's result
        return {"readable": type(error).__name__}
    if not isinstance(saved, dict):
        return {"readable": True, "keys": f"a {type(saved).__name__}"}
    return {
        "readable": True, "keys": sorted(str(k) for k in saved),
        "epoch": _plain(saved.get("epoch")),
        "model_state_matches": _same(saved.get("model_state"), model.state_dict()),
        "optimizer_state_matches": _same(saved.get("optimizer_state"), opt.state_dict()),
    }


def checkpoint_resume(mod: Any, inputs: torch.Tensor, targets: torch.Tensor,
                      val_inputs: torch.Tensor, val_targets: torch.Tensor, seed: int,
                      kind: str, optimizer: str, device: str) -> dict[str, Any]:
    """Two epochs, save, load into a fresh model and optimizer, one more epoch.

    The model takes the inputs' dtype: only the student's ``save_checkpoint``
    and ``load_checkpoint`` run here, and they are dtype-agnostic, so float64
    inputs keep the three epochs of training far inside the tolerance.
    """
    train, val = _loader(inputs, targets, 5), _loader(val_inputs, val_targets, 4)
    model = _model(kind, _sizes(inputs, targets), seed, device, inputs.dtype)
    opt = _optimizer(optimizer, model)
    for _ in range(2):
        _trusted_epoch(model, train, opt, device)
    mod.save_checkpoint("resume_checkpoint.pt", model, opt, 2)
    fresh = _model(kind, _sizes(inputs, targets), seed + 1, device, inputs.dtype)
    fresh_opt = _optimizer(optimizer, fresh)
    epoch = mod.load_checkpoint("resume_checkpoint.pt", fresh, fresh_opt)
    loss = _trusted_epoch(fresh, train, fresh_opt, device)
    return {"epoch": _plain(epoch), "train_loss": loss,
            "val_loss": _trusted_evaluate(fresh, val, device), **_state(fresh)}


def device_moves(mod: Any, inputs: torch.Tensor, targets: torch.Tensor, seed: int,
                 device: str) -> dict[str, Any]:
    """Which batch tensors ``train_one_epoch`` and ``evaluate`` move, and where to."""
    model = _model("mlp", _sizes(inputs, targets), seed, device)
    opt = _optimizer("sgd", model)
    model_inputs: list[torch.Tensor] = []
    first = next(iter(model.children()))
    first.register_forward_pre_hook(lambda _, args: model_inputs.append(args[0]))
    result = {}
    for name in ("train_one_epoch", "evaluate"):
        batches: list[list[torch.Tensor]] = []
        loader = _loader(inputs, targets, 5, partial(_noted, batches))
        loss_fn, recorder = RecordingMSELoss(), MoveRecorder()
        model_inputs.clear()
        with recorder:
            if name == "train_one_epoch":
                mod.train_one_epoch(model, loader, loss_fn, opt, torch.device(device))
            else:
                mod.evaluate(model, loader, loss_fn, torch.device(device))
        moves, want = recorder.moves, torch.device(device)
        batch_tensors = [t for batch in batches for t in batch]
        result[name] = {
            "batches": len(batches),
            "inputs_moved": _moved([b[0] for b in batches], model_inputs, moves, want),
            "targets_moved": _moved([b[1] for b in batches], loss_fn.arguments, moves, want),
            "elsewhere": sorted({to for src, _, to in moves if torch.device(to) != want
                                 and any(src is t for t in batch_tensors)}),
        }
    return result


def _noted(batches: list[list[torch.Tensor]], items: Any) -> Any:
    batch = default_collate(items)
    batches.append(list(batch))
    return batch


def _moved(tensors: list[torch.Tensor], used_by: list[torch.Tensor],
           moves: list[tuple[torch.Tensor, torch.Tensor, str]], device: torch.device) -> bool:
    """Whether the model (or loss) got every batch tensor it used moved to ``device``.

    A batch tensor is used when it, or the result of moving it, shares storage
    with what the model or loss got; it passes when what was used is the result
    of a move to ``device``. Batches that were only looked at (e.g. to count
    samples) need no move. When no use is recognised, all must be moved.
    """
    used_storage = {_storage(t) for t in used_by}

    def moves_of(tensor: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
        return [(res, to) for src, res, to in moves if src is tensor]

    def used(tensor: torch.Tensor) -> bool:
        return _storage(tensor) in used_storage or any(
            _storage(res) in used_storage for res, _ in moves_of(tensor))

    considered = [t for t in tensors if used(t)]
    if not considered:
        return bool(tensors) and all(
            any(torch.device(to) == device for _, to in moves_of(t)) for t in tensors)
    return all(any(torch.device(to) == device and _storage(res) in used_storage
                   for res, to in moves_of(t)) for t in considered)


def _storage(tensor: Any) -> int | None:
    return tensor.untyped_storage().data_ptr() if isinstance(tensor, torch.Tensor) else None
