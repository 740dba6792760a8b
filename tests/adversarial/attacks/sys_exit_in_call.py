# target: 01_manual_autograd
# base: solution
# expect: error
"""Calls ``sys.exit(0)`` inside ``train``: a clean exit in the middle of a check.

That check ends with ``error``; the other checks of the file, and the
other files, are graded as usual.
"""
import sys


def train(x, y, w1, w2, lr, iterations):
    sys.exit(0)
