# target: 02_my_linear
# base: stub
# stopped-at: contained
"""Looks for the grader's secrets: its environment, and other processes' environment and
command lines.

A CI secret set for the grader (the tests set one) must not be readable by
student code, and neither may the grader's command line (the seed, the
paths of the solutions and of the output). Whatever it finds it raises in
an error message, which the judge puts into feedback; the tests check that
no result mentions the secret.
"""
import os


def _looted():
    found = [f"{key}={value}" for key, value in os.environ.items() if "SECRET" in key]
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as source:
                    text = source.read().decode(errors="replace")
            except OSError:
                continue
            found += [part for part in text.split("\0") if "SECRET" in part or "--seed" in text
                      and part.isdigit()]
    return found


_loot = _looted()
if _loot:
    raise RuntimeError(f"@MARKER@:escaped: {' '.join(_loot)[:1500]}")
