# target: 01_manual_autograd
# base: solution
# expect: error
"""Prints 64 MiB to stdout and stderr, through ``print`` and raw ``os.write``, inside ``train``.

Output is capped and truncated: the write fails once the cap is reached
(``error``), and the result (feedback and instructor details) stays small.
"""
import os
import sys

_LINE = "@MARKER@ " + "x" * 1015 + "\n"


def train(x, y, w1, w2, lr, iterations):
    for _ in range(32 * 1024):
        print(_LINE, end="")
        print(_LINE, end="", file=sys.stderr)
    block = _LINE.encode() * 1024
    for _ in range(32):
        os.write(1, block)
        os.write(2, block)
    raise RuntimeError("printed everything")
