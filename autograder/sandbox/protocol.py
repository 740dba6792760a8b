"""The wire format between the judge and a sandbox: JSON plus raw tensor bytes, never pickle.

A message is one frame: a 16-byte prefix (two big-endian lengths), a UTF-8
JSON header and a blob holding the bytes of the tensors the header refers to,
one after another (row-major, in the byte order of the machine both ends run
on). The header's ``"_blob"`` entry says where each lies:
``{key: [dtype, shape, offset]}``; its length follows from the dtype and the
shape. (Safetensors, which the snapshots use on disk, costs about ten times
as much per small tensor; a message carries a dozen.)
Values are encoded with explicit tags so that decoding is a strict parse:

* ``null``, booleans, numbers and strings stand for themselves;
* ``{"list": [...]}``, ``{"tuple": [...]}`` and ``{"dict": {...}}`` (string keys);
* ``{"tensor": {"key": ..., "dtype": ..., "shape": [...], "device": ...,
  "requires_grad": ...}}`` with the data under ``key`` in the blob (no data for
  the ``meta`` device).

The judge decodes whatever a sandbox sends with :func:`decode_value`; since the
sandbox runs student code, every field is validated and anything unexpected
raises :class:`ProtocolError`. The result only ever contains plain Python
values and tensors whose type is exactly :class:`torch.Tensor`.
"""

from __future__ import annotations

import ctypes
import json
import math
import socket
import struct
import time
from typing import Any

import torch

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_BLOB_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 32
MAX_DIMENSIONS = 64
MAX_TENSORS = 1 << 16
MAX_STRING = 1_000_000
_PREFIX = struct.Struct(">QQ")
_INDEX = "_blob"  # the header's entry that places the tensors in the blob

DTYPES: dict[str, torch.dtype] = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (
        torch.float16, torch.bfloat16, torch.float32, torch.float64,
        torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool,
        torch.complex64, torch.complex128,
    )
}


class ProtocolError(Exception):
    """A message that is not well formed: a broken or hostile sandbox."""


class ChannelClosed(ProtocolError):
    """The other end closed the connection (the process ended)."""


class ChannelTimeout(ProtocolError):
    """No complete message arrived before the deadline."""


def encode_value(value: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """Encodes ``value`` into a JSON-able tree and the tensors it refers to.

    Raises:
        TypeError: for a value that is neither plain nor a tensor; its message
            says where the value sits, for the student's feedback.
    """
    tensors: dict[str, torch.Tensor] = {}
    return _encode(value, tensors, "result", 0), tensors


def _encode(value: Any, tensors: dict[str, torch.Tensor], where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise TypeError(f"{where} is nested too deeply")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, torch.Tensor):
        return {"tensor": _encode_tensor(value, tensors)}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, tensors, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        return {"list" if isinstance(value, list) else "tuple": items}
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key of type {type(key).__name__}, not str")
            encoded[key] = _encode(item, tensors, f"{where}[{key!r}]", depth + 1)
        return {"dict": encoded}
    raise TypeError(f"{where} is a {type(value).__name__}, which cannot be graded")


def _encode_tensor(tensor: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    if tensor.layout != torch.strided:
        raise TypeError(f"a {tensor.layout} tensor cannot be graded; use a dense tensor")
    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise TypeError(f"a tensor of dtype {tensor.dtype} cannot be graded")
    meta = {
        "key": None,
        "dtype": dtype,
        "shape": list(tensor.shape),
        "device": str(tensor.device),
        "requires_grad": bool(tensor.requires_grad),
    }
    if tensor.device.type != "meta":
        key = f"t{len(tensors)}"
        plain = tensor.detach().as_subclass(torch.Tensor)
        tensors[key] = plain.to("cpu").contiguous().clone()
        meta["key"] = key
    return meta


def decode_value(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Decodes a tree made by :func:`encode_value`, validating every node.

    Raises:
        ProtocolError: for anything that :func:`encode_value` cannot produce.
    """
    return _decode(tree, tensors, 0)


def _decode(node: Any, tensors: dict[str, torch.Tensor], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if node is None or type(node) in (bool, int, float):
        return node
    if type(node) is str:
        if len(node) > MAX_STRING:
            raise ProtocolError("string too long")
        return node
    if type(node) is not dict or len(node) != 1:
        raise ProtocolError(f"unexpected node of type {type(node).__name__}")
    (tag, body), = node.items()
    if tag in ("list", "tuple") and type(body) is list:
        items = [_decode(item, tensors, depth + 1) for item in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and type(body) is dict:
        return {str(k): _decode(v, tensors, depth + 1) for k, v in body.items()}
    if tag == "float" and body in ("inf", "-inf", "nan"):
        return float(body)
    if tag == "tensor" and type(body) is dict:
        return _decode_tensor(body, tensors)
    raise ProtocolError(f"unexpected tag {tag!r}")


def _decode_tensor(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> torch.Tensor:
    if set(meta) != {"key", "dtype", "shape", "device", "requires_grad"}:
        raise ProtocolError("malformed tensor header")
    dtype = DTYPES.get(meta["dtype"]) if type(meta["dtype"]) is str else None
    shape = meta["shape"]
    if dtype is None or type(shape) is not list or not all(
            type(n) is int and n >= 0 for n in shape) or type(meta["requires_grad"]) is not bool:
        raise ProtocolError("malformed tensor header")
    device = _parse_device(meta["device"])
    if device.type == "meta":
        tensor = torch.empty(shape, dtype=dtype, device="meta")
    else:
        found = tensors.get(meta["key"]) if type(meta["key"]) is str else None
        if type(found) is not torch.Tensor or found.dtype != dtype or list(
                found.shape) != shape:
            raise ProtocolError("tensor data missing or not matching its header")
        tensor = found
        if device.type != "cpu":
            tensor = tensor.to(device) if _device_available(device) else tensor
    if meta["requires_grad"] and (dtype.is_floating_point or dtype.is_complex):
        tensor.requires_grad_(True)
    return tensor


def _parse_device(text: Any) -> torch.device:
    if type(text) is not str or len(text) > 32:
        raise ProtocolError("malformed device")
    try:
        return torch.device(text)
    except (RuntimeError, ValueError) as error:
        raise ProtocolError(f"unknown device {text!r}") from error


def _device_available(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_available()


def send_message(sock: socket.socket, header: dict[str, Any],
                 tensors: dict[str, torch.Tensor] | None = None) -> None:
    """Sends one frame. ``header`` must be JSON-able (see :func:`encode_value`)."""
    index, parts, offset = {}, [], 0
    for key, tensor in (tensors or {}).items():
        data = _tensor_bytes(tensor)
        index[key] = [str(tensor.dtype).removeprefix("torch."), list(tensor.shape), offset]
        parts.append(data)
        offset += len(data)
    head = json.dumps({**header, _INDEX: index} if index else header, allow_nan=False).encode()
    blob = b"".join(parts)
    sock.sendall(_PREFIX.pack(len(head), len(blob)) + head + blob)


def _tensor_bytes(tensor: torch.Tensor) -> bytes:
    """The bytes of a CPU tensor, in row-major order."""
    plain = tensor.detach().as_subclass(torch.Tensor).to("cpu").contiguous()
    size = plain.numel() * plain.element_size()
    return ctypes.string_at(plain.data_ptr(), size) if size else b""


def _unpack(index: Any, blob: bytes) -> dict[str, torch.Tensor]:
    """The tensors ``index`` places in ``blob``; each is a copy of its own.

    Raises:
        ProtocolError: an entry that is malformed or points outside the blob.
    """
    if type(index) is not dict or len(index) > MAX_TENSORS:
        raise ProtocolError("malformed tensor index")
    tensors = {}
    for key, entry in index.items():
        if type(entry) is not list or len(entry) != 3:
            raise ProtocolError("malformed tensor index")
        name, shape, offset = entry
        dtype = DTYPES.get(name) if type(name) is str else None
        if dtype is None or type(shape) is not list or len(shape) > MAX_DIMENSIONS or not all(
                type(n) is int and n >= 0 for n in shape) or type(offset) is not int:
            raise ProtocolError("malformed tensor index")
        size = math.prod(shape) * dtype.itemsize
        if offset < 0 or offset + size > len(blob):
            raise ProtocolError("tensor data outside the message")
        if dtype == torch.bool:  # any byte but 0 is True, as a bool must be
            tensor = _from_bytes(blob, offset, size, torch.uint8) != 0
        else:
            tensor = _from_bytes(blob, offset, size, dtype)
        tensors[key] = tensor.reshape(shape)
    return tensors


def _from_bytes(blob: bytes, offset: int, size: int, dtype: torch.dtype) -> torch.Tensor:
    if not size:
        return torch.empty(0, dtype=dtype)
    return torch.frombuffer(bytearray(blob[offset:offset + size]), dtype=dtype)


def recv_message(sock: socket.socket, *, deadline: float | None = None
                 ) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Receives one frame and parses it (but does not decode values).

    Args:
        sock: The connected socket.
        deadline: ``time.monotonic()`` value after which to give up.

    Raises:
        ChannelClosed: the peer closed the connection.
        ChannelTimeout: the deadline passed.
        ProtocolError: the frame is malformed or too large.
    """
    head_len, blob_len = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size, deadline))
    if head_len > MAX_HEADER_BYTES or blob_len > MAX_BLOB_BYTES:
        raise ProtocolError("message too large")
    try:
        header = json.loads(_recv_exact(sock, head_len, deadline))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError("header is not JSON") from error
    if type(header) is not dict:
        raise ProtocolError("header is not an object")
    blob = _recv_exact(sock, blob_len, deadline) if blob_len else b""
    tensors = _unpack(header.pop(_INDEX, {}), blob)
    return header, tensors


def _recv_exact(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout("no answer before the deadline")
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(size - len(chunks), 1 << 20))
        except TimeoutError as error:
            raise ChannelTimeout("no answer before the deadline") from error
        except OSError as error:
            raise ChannelClosed(str(error)) from error
        if not chunk:
            raise ChannelClosed("connection closed")
        chunks += chunk
    return bytes(chunks)
