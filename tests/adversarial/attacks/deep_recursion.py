# target: 01_manual_autograd
# base: solution
# expect: error, timeout
"""Lifts the recursion limit and recurses until the C stack overflows, inside ``train``.

Each level goes through ``__call__``, so the interpreter's C stack grows
with it. Whether it ends as ``RecursionError``, a crash of the sandbox
(``error``) or its time limit (``timeout``), grading goes on.
"""
import sys


def _down(depth):
    return _down.__call__(depth + 1) + 1


def train(x, y, w1, w2, lr, iterations):
    sys.setrecursionlimit(1 << 30)
    return [float(_down(0))]
