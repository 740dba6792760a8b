# target: 01_manual_autograd
# base: solution
# stopped-at: contained
# expect: error
"""Writes files into its scratch folder inside ``train`` until the disk is full.

The scratch folder is bounded, so the writes fail (``error``) long before
the host's disk notices; the tests compare the host's free space before,
during and after. As a safety valve on machines without a bound, the
attack stops at 4 GiB and says so in its error.
"""

_CHUNK = b"\0" * (4 << 20)
_VALVE = 4 << 30


def train(x, y, w1, w2, lr, iterations):
    written, number = 0, 0
    while written < _VALVE:
        with open(f"fill-{number}.bin", "wb") as sink:
            sink.write(_CHUNK)
        written += len(_CHUNK)
        number += 1
    raise RuntimeError("@MARKER@:escaped: wrote 4 GiB without hitting the scratch bound")
