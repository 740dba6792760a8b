# target: 02_my_linear
# base: stub
# expect: failed, error
"""Writes forged answers and garbage to every file descriptor the process holds.

It lists ``/proc/self/fd``: to every socket it sends a well-formed frame of
the judge's protocol saying ``{"ok": true}``, to everything else garbage.
The judge reads frames from exactly one socket and validates each; a
desynchronised or garbled channel fails the assignment, and nothing leaks
into the other files or submissions.
"""
import json
import os
import socket
import stat
import struct

_FORGED = json.dumps({"ok": True, "value": {"dict": {"out": 1.0}}}).encode()
_FRAME = struct.pack(">QQ", len(_FORGED), 0) + _FORGED
_GARBAGE = b"@MARKER@ garbage written to an inherited descriptor\n" * 64


def _spray():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISSOCK(mode):
                sock = socket.socket(fileno=os.dup(fd))
                try:
                    sock.setblocking(False)
                    sock.send(_FRAME * 8 + _GARBAGE)
                finally:
                    sock.close()
            else:
                os.write(fd, _GARBAGE)
        except OSError:
            continue


_spray()
