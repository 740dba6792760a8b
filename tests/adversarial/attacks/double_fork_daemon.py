# target: 01_manual_autograd
# base: solution
# stopped-at: contained
"""Leaves a double-forked daemon behind, tagged with its marker, then answers correctly.

The grandchild starts a new session, closes its descriptors and execs a
Python that sleeps for ten minutes, with the marker in its command line and
environment. ``train`` itself returns the right losses. The daemon must not
outlive its sandbox, let alone the batch.
"""
import os
import sys

_honest_train = train  # noqa: F821 - the reference solution's, defined above this attack


def _daemonise():
    if os.fork() != 0:
        return
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        os.closerange(3, 256)
        code = "import time\nwhile True: time.sleep(1)"
        os.execve(sys.executable, [sys.executable, "-c", code, "@MARKER@"],
                  {"TORCHGRADE_ADVERSARIAL": "@MARKER@"})
    finally:
        os._exit(0)


def train(x, y, w1, w2, lr, iterations):
    _daemonise()
    return _honest_train(x, y, w1, w2, lr, iterations)
