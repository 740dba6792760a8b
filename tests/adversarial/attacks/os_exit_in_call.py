# target: 01_manual_autograd
# base: solution
# expect: error
"""Calls ``os._exit(0)`` inside ``train``: the sandbox vanishes with status 0.

The judge notices the process is gone, fails that check with ``error``
and forks a fresh sandbox for the checks that remain.
"""
import os


def train(x, y, w1, w2, lr, iterations):
    os._exit(0)
