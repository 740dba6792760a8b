# target: 01_manual_autograd
# base: solution
"""Starts a non-daemon thread that never ends, and an ``atexit`` handler that never returns.

An interpreter that exits normally waits for both, for ever. A sandbox is
ended without that wait: the batch finishes in its usual time, and the
file is graded as its (correct) code deserves.
"""
import atexit
import threading
import time


def _forever():
    while True:
        time.sleep(0.05)


threading.Thread(target=_forever, name="@MARKER@", daemon=False).start()
atexit.register(_forever)
