# target: 01_manual_autograd
# base: solution
# expect: error
"""Reads memory at address 8 through ``ctypes`` inside ``train``: a segmentation fault.

The sandbox dies by SIGSEGV; the check ends with ``error`` saying the
process crashed, and the next check gets a fresh sandbox.
"""
import ctypes


def train(x, y, w1, w2, lr, iterations):
    return ctypes.string_at(8, 64)
