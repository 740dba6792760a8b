"""The wire format: what crosses from a sandbox is plain data or an error."""

from __future__ import annotations

import json
import math
import socket

import pytest
import torch
from torch import nn

from autograder.sandbox.protocol import (
    ProtocolError,
    decode_value,
    encode_value,
    recv_message,
    send_message,
)


def round_trip(value):
    tree, tensors = encode_value(value)
    left, right = socket.socketpair()
    with left, right:
        send_message(left, {"value": tree}, tensors)
        header, blob = recv_message(right, deadline=None)
    return decode_value(header["value"], blob)


def test_plain_values_and_containers_survive():
    value = {"a": [1, 2.5, "x", None, True], "b": (False, {"c": -3}), "nan": math.nan,
             "inf": -math.inf}
    back = round_trip(value)
    assert back["a"] == [1, 2.5, "x", None, True]
    assert back["b"] == (False, {"c": -3}) and type(back["b"]) is tuple
    assert math.isnan(back["nan"]) and back["inf"] == -math.inf


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool,
                                   torch.bfloat16])
def test_tensors_keep_dtype_shape_and_values(dtype):
    tensor = (torch.arange(12).reshape(3, 4) % 3).to(dtype)
    back = round_trip({"t": tensor.T})  # a non-contiguous view
    assert type(back["t"]) is torch.Tensor
    assert back["t"].dtype == dtype and back["t"].shape == (4, 3)
    assert torch.equal(back["t"], tensor.T)


def test_parameters_arrive_as_plain_tensors_with_requires_grad():
    back = round_trip(nn.Parameter(torch.ones(2)))
    assert type(back) is torch.Tensor and back.requires_grad


def test_meta_tensors_keep_shape_dtype_and_device():
    back = round_trip(torch.empty(2, 5, device="meta", dtype=torch.float64))
    assert back.device.type == "meta" and back.shape == (2, 5) and back.dtype == torch.float64


def test_shared_storage_is_copied_not_rejected():
    base = torch.arange(6.0)
    back = round_trip([base, base[:3]])
    assert torch.equal(back[1], torch.tensor([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("value", [object(), {1: 2}, nn.Linear(2, 2), lambda: 0,
                                   torch.ones(2).to_sparse()])
def test_values_that_are_not_data_cannot_be_encoded(value):
    with pytest.raises(TypeError):
        encode_value(value)


@pytest.mark.parametrize("tree", [
    {"pickle": "gASVAAAAAAAAAAAu"},
    {"list": [1], "extra": 2},
    {"tensor": {"key": "t0", "dtype": "float32", "shape": [2], "device": "cpu",
                "requires_grad": False}},  # no data behind the key
    {"tensor": {"key": "t0", "dtype": "object", "shape": [1], "device": "cpu",
                "requires_grad": False}},
    {"tensor": {"key": None, "dtype": "float32", "shape": [-1], "device": "meta",
                "requires_grad": False}},
    {"tensor": {"key": None, "dtype": "float32", "shape": [1], "device": "nowhere",
                "requires_grad": False}},
    [1, 2],  # bare JSON lists are never produced
])
def test_malformed_trees_are_rejected(tree):
    with pytest.raises(ProtocolError):
        decode_value(tree, {})


def test_tensor_data_must_match_its_header():
    tree = {"tensor": {"key": "t0", "dtype": "float32", "shape": [3], "device": "cpu",
                       "requires_grad": False}}
    with pytest.raises(ProtocolError):
        decode_value(tree, {"t0": torch.ones(2)})


def test_garbage_frames_are_rejected():
    left, right = socket.socketpair()
    with left, right:
        body = b"not json"
        left.sendall(len(body).to_bytes(8, "big") + (0).to_bytes(8, "big") + body)
        with pytest.raises(ProtocolError):
            recv_message(right, deadline=None)


def test_oversized_frames_are_rejected_before_reading_them():
    left, right = socket.socketpair()
    with left, right:
        left.sendall((1 << 40).to_bytes(8, "big") + (0).to_bytes(8, "big"))
        with pytest.raises(ProtocolError, match="too large"):
            recv_message(right, deadline=None)


def test_headers_are_json_objects():
    left, right = socket.socketpair()
    with left, right:
        body = json.dumps([1, 2]).encode()
        left.sendall(len(body).to_bytes(8, "big") + (0).to_bytes(8, "big") + body)
        with pytest.raises(ProtocolError):
            recv_message(right, deadline=None)


def frame(header: dict, blob: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return len(head).to_bytes(8, "big") + len(blob).to_bytes(8, "big") + head + blob


def received(data: bytes):
    left, right = socket.socketpair()
    with left, right:
        left.sendall(data)
        return recv_message(right, deadline=None)


@pytest.mark.parametrize("index", [
    {"t0": ["float32", [3], 0]},  # 12 bytes wanted, 8 sent
    {"t0": ["float32", [1], 6]},  # runs past the end
    {"t0": ["float32", [1], -4]},
    {"t0": ["object", [1], 0]},
    {"t0": ["float32", [-1], 0]},
    {"t0": ["float32", [1] * 65, 0]},
    {"t0": ["float32", [1 << 62, 1 << 62], 0]},
    {"t0": ["float32", [1]]},
    {"t0": "float32"},
    ["t0"],
])
def test_a_tensor_index_that_does_not_fit_the_blob_is_rejected(index):
    with pytest.raises(ProtocolError):
        received(frame({"value": None, "_blob": index}, bytes(8)))


def test_entries_that_overlap_come_back_as_separate_copies():
    header, tensors = received(frame({"_blob": {"a": ["int32", [2], 0], "b": ["int32", [1], 4]}},
                                     (7).to_bytes(4, "little") + (9).to_bytes(4, "little")))
    assert header == {} and tensors["a"].tolist() == [7, 9] and tensors["b"].tolist() == [9]
    tensors["a"][1] = 0
    assert tensors["b"].tolist() == [9]


def test_bool_bytes_other_than_zero_and_one_arrive_as_true():
    _, tensors = received(frame({"_blob": {"t0": ["bool", [3], 0]}}, bytes([0, 1, 2])))
    assert tensors["t0"].tolist() == [False, True, True]
    assert torch.equal(tensors["t0"], torch.tensor([False, True, True]))


@pytest.mark.parametrize("dtype", [torch.float16, torch.complex64, torch.int8, torch.uint8])
def test_every_dtype_and_empty_or_scalar_shapes_survive(dtype):
    for tensor in (torch.zeros(0, 3, dtype=dtype), torch.ones((), dtype=dtype),
                   torch.arange(6).reshape(2, 3).to(dtype)):
        back = round_trip(tensor)
        assert back.dtype == dtype and back.shape == tensor.shape and torch.equal(back, tensor)
