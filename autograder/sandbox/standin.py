"""A stand-in accelerator that carries values, for grading device handling on any machine.

Device mistakes (ignoring ``device=``, hard-coding ``"cpu"``, ``"cuda"`` or
``.cuda()``) only show on a second device, and the grading machine may have
none. The ``meta`` device is no answer: it has no values, so correct code that
reads one (``.item()``, ``int(lengths.max())``, ``.tolist()``, ``bool(...)``)
fails there although it runs on every GPU (SPEC §2).

:class:`StandIn` is a :class:`~torch.overrides.TorchFunctionMode` over real
CPU tensors that records which device each tensor *would* be on. Inputs are
moved to :data:`DEVICE` (``cuda:1``, not the default ``cuda:0``, so that a
hard-coded ``"cuda"`` lands on another device and is caught too). Every value
stays readable. Operations CUDA rejects with tensors on two devices raise
CUDA's error; the rest keep the device of their tensor inputs, so a scenario
can report where each output ended up.

Devices are recorded per storage (views, ``.data``, ``.detach()`` and
``nn.Parameter``, which the mode never sees, share it), keyed by its address.
Every recorded tensor is kept alive for the stand-in's lifetime, so that no
address is reused by another tensor. Zero-size tensors have no address and
are recorded per tensor object. Anything unrecorded is on the CPU.

When in doubt the stand-in lets an operation through: a false "two devices"
error would fail correct code, the worst outcome for a grader.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

DEVICE = "cuda:1"
"""The virtual device scenarios move their inputs to."""

CPU = torch.device("cpu")

# Operations that CUDA refuses when their tensors sit on two devices (a 0-dim
# CPU tensor excepted). By name: ``add`` also covers ``add_``, ``__add__``,
# ``__radd__`` and ``__iadd__``.
_SAME_DEVICE = frozenset({
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
    "truediv", "floor_divide", "floordiv", "remainder", "fmod", "mod", "pow", "float_power",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "and", "or", "xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "logical_and", "logical_or", "logical_xor", "maximum", "minimum", "fmax", "fmin",
    "atan2", "arctan2", "hypot", "copysign", "xlogy", "lerp", "addcmul", "addcdiv",
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
    "addbmm", "baddbmm", "addr", "linear", "bilinear", "einsum", "tensordot",
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
    "where", "masked_fill", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
})

# Creation functions whose result is on ``device=`` or else on the CPU, whatever
# tensors their other arguments are (``torch.arange(t.max())`` is on the CPU).
_FACTORIES = frozenset({
    "tensor", "as_tensor", "asarray", "zeros", "ones", "empty", "full", "arange", "range",
    "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "empty_strided",
    "scalar_tensor", "tril_indices", "triu_indices", "from_numpy", "frombuffer",
})
# Of those, the ones that keep the device of a tensor given as the data.
_FROM_DATA = frozenset({"tensor", "as_tensor", "asarray"})


class StandIn(TorchFunctionMode):
    """A virtual accelerator over CPU tensors; use as ``with StandIn() as accel:``.

    Inside the block, move inputs with ``t.to(DEVICE)``; afterwards
    :meth:`where` says on which device each output would be.
    """

    def __init__(self) -> None:
        super().__init__()
        self._devices: dict[Any, torch.device] = {}
        self._kept: list[torch.Tensor] = []

    def device_of(self, tensor: torch.Tensor) -> torch.device:
        """The device ``tensor`` would be on."""
        with torch._C.DisableTorchFunction():
            return self._device(tensor)

    def where(self, value: Any) -> Any:
        """``value`` with every tensor replaced by the name of its device.

        Lists, tuples and dicts are walked; anything else becomes None. The
        result is plain data that the sandbox protocol carries.
        """
        with torch._C.DisableTorchFunction():
            return self._where(value)

    def _where(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return str(self._device(value))
        if isinstance(value, (list, tuple)):
            return [self._where(v) for v in value]
        if isinstance(value, dict):
            return {key: self._where(v) for key, v in value.items()}
        return None

    def __torch_function__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", "")
        if name in ("__get__", "get_device"):
            found = self._property(func, name, args)
            if found is not _NOT_HANDLED:
                return found
        if name in ("to", "cuda", "cpu", "type_as") and args and isinstance(
                args[0], torch.Tensor):
            return self._move(name, args, kwargs)
        if name in ("numpy", "__array__") and args and isinstance(args[0], torch.Tensor):
            self._refuse_numpy(args[0])
        if kwargs.get("device") is not None or name in _FACTORIES:
            return self._create(func, name, args, kwargs)
        return self._operate(func, name, args, kwargs)

    # Device getters ------------------------------------------------------------

    def _property(self, func: Any, name: str, args: Any) -> Any:
        tensor = args[0] if args and isinstance(args[0], torch.Tensor) else None
        if tensor is None:
            return _NOT_HANDLED
        if name == "get_device":
            device = self._device(tensor)
            return device.index if device.type == "cuda" else -1
        attribute = getattr(getattr(func, "__self__", None), "__name__", "")
        if attribute == "device":
            return self._device(tensor)
        if attribute == "is_cuda":
            return self._device(tensor).type == "cuda"
        if attribute == "is_cpu":
            return self._device(tensor).type == "cpu"
        return _NOT_HANDLED

    # Moves -----------------------------------------------------------------

    def _move(self, name: str, args: Any, kwargs: dict[str, Any]) -> Any:
        """``Tensor.to``/``.cuda()``/``.cpu()``/``.type_as()``: a CPU copy, recorded on the
        target device."""
        tensor = args[0]
        target, dtype, copy, options = self._move_request(name, args, kwargs)
        source = self._device(tensor)
        target = source if target is None else target
        if target == source:
            moved = tensor.to(dtype=dtype, copy=copy, **options)
        elif "meta" in (source.type, target.type):
            moved = tensor.to(device="meta" if target.type == "meta" else CPU, dtype=dtype,
                              **options)
        else:
            moved = tensor.to(dtype=dtype, copy=True, **options)
        if moved is not tensor and _storage_key(moved) != _storage_key(tensor):
            self._record(moved, target)
        return moved

    def _move_request(self, name: str, args: Any, kwargs: dict[str, Any]
                      ) -> tuple[torch.device | None, torch.dtype | None, bool, dict[str, Any]]:
        """The target device (None: stay), dtype, copy flag and other options of a move."""
        memory_format = {k: v for k, v in kwargs.items() if k == "memory_format"}
        if name == "type_as":  # x.type_as(other) is x.to(other): other's device and dtype
            other = args[1] if len(args) > 1 else kwargs["other"]
            return self._device(other), other.dtype, False, {}
        if name == "cpu":
            return CPU, None, False, memory_format
        if name == "cuda":
            spec = args[1] if len(args) > 1 else kwargs.get("device")
            index = spec if isinstance(spec, int) else (
                torch.device(spec).index if spec is not None else None)
            return torch.device("cuda", index or 0), None, False, memory_format
        return self._parse_to(args[1:], kwargs)

    def _parse_to(self, rest: Any, kwargs: dict[str, Any]
                  ) -> tuple[torch.device | None, torch.dtype | None, bool, dict[str, Any]]:
        """The target device, dtype, copy flag and other options of a ``Tensor.to`` call."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        copy = bool(kwargs.pop("copy", False))
        flags: list[bool] = []
        for arg in rest:
            if isinstance(arg, torch.Tensor):
                device, dtype = self._device(arg), arg.dtype
            elif isinstance(arg, torch.dtype):
                dtype = arg
            elif isinstance(arg, bool):
                flags.append(arg)
            elif arg is not None:  # None: a device or dtype left out, as Module.to passes
                device = arg
        if len(flags) > 1:
            copy = flags[1]
        options = {k: v for k, v in kwargs.items() if k == "memory_format" and v is not None}
        return (None if device is None else _named_device(device)), dtype, copy, options

    def _refuse_numpy(self, tensor: torch.Tensor) -> None:
        """``.numpy()`` of an accelerator tensor fails on a GPU: it fails here too."""
        device = self._device(tensor)
        if device.type not in ("cpu", "meta"):
            raise TypeError(f"can't convert {device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")

    # Creation --------------------------------------------------------------

    def _create(self, func: Any, name: str, args: Any, kwargs: dict[str, Any]) -> Any:
        """A factory call (or any call with ``device=``): made on the CPU, recorded on the
        device asked for (the CPU by default)."""
        inputs = list(_tensors((args, kwargs)))
        if kwargs.get("device") is not None:
            target = _named_device(kwargs["device"])
        elif name in _FROM_DATA and args and isinstance(args[0], torch.Tensor):
            target = self._device(args[0])
        else:
            target = CPU  # the default device, whatever tensors gave sizes or values
        if "device" in kwargs and target.type != "meta":
            kwargs["device"] = CPU
        result = func(*args, **kwargs)
        if (isinstance(result, torch.Tensor) and self._device(result) != target
                and any(_storage_key(result) == _storage_key(t) for t in inputs)):
            result = result.clone()  # as_tensor(t, device=...) of a t elsewhere: a copy
        self._place(result, target, inputs)
        return result

    # Every other operation ---------------------------------------------------

    def _operate(self, func: Any, name: str, args: Any, kwargs: dict[str, Any]) -> Any:
        inputs = list(_tensors((args, kwargs)))
        if not inputs:
            return func(*args, **kwargs)
        target = self._common_device(name, inputs)
        result = func(*args, **kwargs)
        self._place(result, target, inputs)
        return result

    def _common_device(self, name: str, inputs: list[torch.Tensor]) -> torch.device:
        """Where the result of an operation on ``inputs`` lands; raises as CUDA would.

        0-dim CPU tensors go anywhere (CUDA accepts them as scalars), and an
        unrecorded empty tensor could be anywhere: neither decides.
        """
        devices: list[torch.device] = []
        for tensor in inputs:
            device = self._device(tensor)
            if device == CPU and (tensor.dim() == 0 or tensor.numel() == 0):
                continue
            if device not in devices:
                devices.append(device)
        if len(devices) > 1 and _same_device_required(name):
            shown = sorted(devices, key=lambda d: d == CPU)
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {shown[0]} and {shown[1]}! (in {name}; the grader's stand-in GPU "
                f"is '{DEVICE}': create tensors with device=x.device or zeros_like(x), never "
                "on a hard-coded 'cpu' or 'cuda')")
        return next((d for d in devices if d != CPU), CPU)

    # Bookkeeping -----------------------------------------------------------

    def _device(self, tensor: torch.Tensor) -> torch.device:
        if tensor.device.type != "cpu":
            return tensor.device
        return self._devices.get(_storage_key(tensor), CPU)

    def _record(self, tensor: torch.Tensor, device: torch.device) -> None:
        if tensor.device.type != "cpu":
            return
        key = _storage_key(tensor)
        if device == CPU:
            self._devices.pop(key, None)
        else:
            self._devices[key] = device
            self._kept.append(tensor)

    def _place(self, result: Any, device: torch.device, inputs: list[torch.Tensor]) -> None:
        """Records the new tensors of ``result`` on ``device``.

        A result sharing storage with an input (a view, an in-place result)
        keeps that input's device.
        """
        shared = {_storage_key(t) for t in inputs}
        for tensor in _tensors(result):
            key = _storage_key(tensor)
            if key not in shared and key not in self._devices:
                self._record(tensor, device)


_NOT_HANDLED = object()


def _named_device(spec: Any) -> torch.device:
    """A device as the stand-in names it: ``"cuda"`` is ``cuda:0``, ints are CUDA indices."""
    if isinstance(spec, int) and not isinstance(spec, bool):
        return torch.device("cuda", spec)
    device = torch.device(spec)
    if device.type in ("cpu", "meta"):
        return torch.device(device.type)
    return torch.device(device.type, device.index or 0)


def _same_device_required(name: str) -> bool:
    if name.startswith("__") and name.endswith("__"):
        inner = name[2:-2]
        return inner in _SAME_DEVICE or (inner[:1] in ("r", "i") and inner[1:] in _SAME_DEVICE)
    return name.rstrip("_") in _SAME_DEVICE


def _storage_key(tensor: torch.Tensor) -> Any:
    """The address of the tensor's storage, or the tensor itself when it has none."""
    try:
        address = tensor.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        address = 0
    return address if address else ("tensor", id(tensor))


def _tensors(value: Any) -> Iterator[torch.Tensor]:
    """The tensors in ``value``, looking into lists, tuples and dicts."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)
