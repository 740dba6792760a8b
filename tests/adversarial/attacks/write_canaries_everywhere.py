# target: 05_training_loop
# base: solution
# stopped-at: contained
"""Drops a canary file everywhere a student might want to leave something behind.

/tmp, /var/tmp, /dev/shm, ``/``, the grader's home folder, the folder the
submission was handed in from, the judge's output folder, the grading
run's temporary folder, every folder above its working directory, and
through ``/proc/self/root``. Only the sandbox's own scratch folder is
writable: no canary survives anywhere the tests look.
"""
import os
from pathlib import Path

_NAME = "torchgrade-canary-@MARKER@"


def _places():
    yield from (Path(p) for p in ("/tmp", "/var/tmp", "/dev/shm", "/", "@HOME@", "@OUT@",
                                  "@OUT@/results", "@BATCH_TMP@", "/proc/self/root/tmp"))
    yield Path(__file__).resolve().parent
    yield Path(__file__).resolve().parents[1]
    yield from Path.cwd().resolve().parents


for _place in _places():
    try:
        (_place / _NAME).write_text("@MARKER@\n")
    except OSError:
        pass
    try:
        os.symlink("/etc/passwd", _place / f"{_NAME}-link")
    except OSError:
        pass
