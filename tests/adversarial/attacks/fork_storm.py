# target: 01_manual_autograd
# base: solution
# stopped-at: contained
# expect: error
"""Doubles its processes eight times inside ``train``; every child leaves the process group.

Up to 256 processes, each in a session of its own (``setsid``), sleeping.
The sandbox's process limit stops the doubling (``error``), and every
process it made is gone when the sandbox is closed. (The doubling is
bounded so that a machine without limits survives the test.)
"""
import os
import time


def train(x, y, w1, w2, lr, iterations):
    leader = os.getpid()
    failures = 0
    for _ in range(8):
        try:
            if os.fork() == 0:
                os.setsid()
        except OSError:
            failures += 1
    if os.getpid() != leader:
        time.sleep(600)
        os._exit(0)
    raise RuntimeError(f"the storm is over ({failures} forks refused)")
