# target: 01_manual_autograd
# base: solution
# expect: error
"""Sends signals to its parent, to process 1, and to every process, inside ``train``.

SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGKILL go to ``getppid()``
(the zygote that forks every sandbox) and to its process group, then to
process 1; finally ``kill(-1, SIGKILL)``. The zygote must survive, and so
must the batch: this check ends with ``error``, the other submissions are
graded as usual. Process 1 and "everyone" are only signalled where that
cannot reach beyond the grader (a user of its own, or the zygote's PID
namespace), so that a machine without isolation survives the test.
"""
import os
import signal

_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGKILL")


def _confined():
    if os.geteuid() not in (0, int("@TEST_UID@")):
        return True
    try:
        with open("/proc/1/cmdline", "rb") as command:
            return b"autograder.sandbox.zygote" in command.read()
    except OSError:
        return False


def _send(send, target, number):
    try:
        send(target, number)
    except OSError:
        pass


def train(x, y, w1, w2, lr, iterations):
    parent = os.getppid()
    for name in _SIGNALS:
        number = getattr(signal, name)
        _send(os.kill, parent, number)
        try:
            _send(os.killpg, os.getpgid(parent), number)
        except OSError:
            pass
        if _confined():
            _send(os.kill, 1, number)
    if _confined():
        _send(os.kill, -1, signal.SIGKILL)
    raise RuntimeError("signals sent")
