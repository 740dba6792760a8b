"""Cheaper forks for a zygote that will fork many sandboxes: its heap in huge pages.

After warming up, the zygote holds about 150 MiB of private memory (torch
and the scenarios; 200 MiB while it imported torch's compiler stack, see
:mod:`autograder.sandbox.compiler`). In 4 KiB pages that is some 40,000 page
table entries, which every ``fork`` copies and every sandbox's exit tears
down again: most of what a bare fork and exit cost (6 of 9 ms at 200 MiB).
Collapsed into 2 MiB pages (``madvise(MADV_COLLAPSE)``, Linux 6.1 and
later, whatever the system's transparent huge page setting), the same
memory is about a hundred entries; a sandbox that writes to one of them
still copies 4 KiB only.

Collapsing costs about half a second of CPU once, which a batch repays after
some 70 sandboxes; a single submission (ten sandboxes) would not, so the
judge asks for it (:meth:`autograder.sandbox.client.Zygote.share_huge_pages`)
only when it will fork many. Where the kernel cannot collapse, nothing
changes: forks cost what they did.
"""

from __future__ import annotations

import ctypes
import sys

_MADV_COLLAPSE = 25
_HUGE = 2 << 20


def collapse() -> int:
    """Collapses this process's private anonymous memory into huge pages.

    Returns:
        How many MiB of its anonymous memory lie in huge pages afterwards.
    """
    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    for start, end in _private_anonymous():
        low, high = -(-start // _HUGE) * _HUGE, end // _HUGE * _HUGE
        if high > low:
            libc.madvise(low, high - low, _MADV_COLLAPSE)  # a failure leaves 4 KiB pages
    return _huge_mib()


def _private_anonymous() -> list[tuple[int, int]]:
    """Address ranges of the heap and of anonymous private writable mappings."""
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            name = fields[5] if len(fields) > 5 else ""
            if fields[1].startswith("rw") and fields[1][3] == "p" and name in ("", "[heap]"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                ranges.append((start, end))
    return ranges


def _huge_mib() -> int:
    try:
        with open("/proc/self/smaps_rollup") as rollup:  # Linux 4.14 and later
            for line in rollup:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0
