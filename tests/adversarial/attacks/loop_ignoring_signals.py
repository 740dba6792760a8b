# target: 01_manual_autograd
# base: solution
# expect: timeout
"""Ignores SIGTERM, SIGINT, SIGHUP, SIGXCPU and friends, then loops forever in ``train``.

A grader that asked nicely would wait for ever; torchgrade kills the
sandbox's processes with SIGKILL at the time limit (status ``timeout``).
"""
import signal


def train(x, y, w1, w2, lr, iterations):
    for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM",
                 "SIGXCPU", "SIGVTALRM", "SIGPROF"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, signal.SIG_IGN)
            except (OSError, ValueError):
                pass
    while True:
        pass
