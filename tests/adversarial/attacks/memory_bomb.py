# target: 01_manual_autograd
# base: solution
# expect: error, timeout
"""Allocates and touches memory in 256 MiB steps until something stops it.

The sandbox's memory cap makes an allocation fail (``error``) long before
the machine runs short, unless touching the pages takes longer than the
call's time limit (``timeout``). As a safety valve on machines without a cap,
the attack gives up at 6 GiB and says so in its error, which the tests
look for.
"""
import torch

_STEP = 256 << 20
_VALVE = 6 << 30


def train(x, y, w1, w2, lr, iterations):
    hoard = []
    while len(hoard) * _STEP < _VALVE:
        hoard.append(torch.ones(_STEP, dtype=torch.uint8))
    raise RuntimeError("@MARKER@:escaped: allocated 6 GiB without hitting a memory cap")
