# target: 01_manual_autograd
# base: solution
# expect: error
"""Waits for input inside ``train``: ``sys.stdin``, ``input()``, fd 0 and ``/dev/tty``.

Stdin is closed (or empty) in a sandbox and there is no terminal, so
nothing waits: the call fails at once (``error``), long before its time
limit.
"""
import os
import sys


def train(x, y, w1, w2, lr, iterations):
    typed = sys.stdin.read() + os.read(0, 4096).decode()
    with open("/dev/tty") as terminal:
        typed += terminal.readline()
    return [float(value) for value in (typed + input()).split()]
