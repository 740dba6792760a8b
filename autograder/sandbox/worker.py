"""The sandbox side: loads one student file and runs trusted scenarios on request.

This module runs in a process forked from the zygote, after the process has
dropped into its own process group, scratch directory and resource limits.
Everything here must be treated as compromised once student code has been
imported: the judge validates every byte it receives, and only explicit
passes in the judge earn points.

Requests (JSON headers, see :mod:`autograder.sandbox.protocol`):

* ``{"op": "load", "path": ..., "module": ..., "source": base64}`` runs the
  student's file as the module of the fixed name: ``source`` is the file's
  bytes as the judge read them, compiled here with ``path`` as its file
  name. Nothing is imported by path, so a bytecode cache (``__pycache__``)
  beside the file is never read, and none is written (the zygote runs with
  ``-B``): what is graded is exactly the submitted text;
* ``{"op": "call", "scenario": "pkg.mod:function", "args": {...},
  "timeout": seconds}`` runs a scenario on the loaded module;
* ``{"op": "exit"}``.

Replies are ``{"ok": true, "value": ...}`` or ``{"ok": false, "error": {...}}``
where the error says what kind of failure it was and where in the student's
file it happened.
"""

from __future__ import annotations

import base64
import difflib
import faulthandler
import importlib
import importlib.machinery
import importlib.util
import linecache
import os
import posix
import socket
import sys
import traceback
import types
from typing import Any, TextIO

from autograder.sandbox.protocol import (
    ChannelClosed,
    decode_value,
    encode_value,
    recv_message,
    send_message,
)


def serve(sock: socket.socket, *, hang_report: TextIO) -> None:
    """Answers requests on ``sock`` until told to exit or the judge goes away.

    Args:
        sock: Connected socket to the judge.
        hang_report: Open file that :mod:`faulthandler` writes the stack to
            when a call overruns, so that the judge can tell the student the line.
    """
    module: types.ModuleType | None = None
    report = hang_report
    while True:
        try:
            header, tensors = recv_message(sock)
        except ChannelClosed:
            return
        op = header.get("op")
        timeout = float(header.get("timeout", 0) or 0)
        if timeout > 0:
            report.seek(0)
            report.truncate()
            faulthandler.dump_traceback_later(timeout, file=report)
        if op == "load":
            module, reply = _load(header["path"], header["module"], header.get("source"),
                                  sock)
        elif op == "call":
            reply = _call(module, header["scenario"], decode_value(header["args"], tensors))
        else:
            return
        faulthandler.cancel_dump_traceback_later()
        _reply(sock, reply)


def _reply(sock: socket.socket, reply: dict[str, Any]) -> None:
    if reply.get("ok"):
        try:
            tree, tensors = encode_value(reply["value"])
        except TypeError as error:
            reply = {"ok": False, "error": {"kind": "bad_value", "type": "TypeError",
                                            "message": str(error), "where": None}}
        else:
            send_message(sock, {"ok": True, "value": tree}, tensors)
            return
    send_message(sock, reply)


def _load(path: str, name: str, encoded: Any, sock: socket.socket
          ) -> tuple[types.ModuleType | None, dict[str, Any]]:
    """Runs the student's source as a fresh module registered under ``name``.

    ``encoded`` is the file's bytes (base64) that the judge read once: they
    are compiled here, never the file on disk, so a bytecode cache beside it
    cannot stand in for the text and nothing is written next to it. The
    text goes into :mod:`linecache` under ``path``, so that tracebacks, the
    "line N" of feedback and stub detection quote exactly what was graded.
    """
    try:
        source = base64.b64decode(encoded, validate=True)
    except (TypeError, ValueError) as error:  # binascii.Error is a ValueError
        return None, _error("load", RuntimeError(f"the judge sent no source: {error}"), None)
    module = types.ModuleType(name)
    module.__file__ = path
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, origin=path)
    sys.modules[name] = module
    _remember_source(path, source)
    _watch_exits(sock, path)
    try:
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except BaseException as error:  # noqa: BLE001 - a student's SystemExit too
        sys.modules.pop(name, None)
        return None, _error("load", error, path)
    return module, {"ok": True, "value": None}


def _remember_source(path: str, source: bytes) -> None:
    """Puts the graded text into :mod:`linecache` for ``path``.

    An entry whose modification time is None is one that
    :func:`linecache.checkcache` keeps as it is, so the file on disk is never
    read back in its place.
    """
    try:
        text = importlib.util.decode_source(source)
    except (SyntaxError, UnicodeError, LookupError):
        return  # compile() reports the same problem, with its line
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)


def _watch_exits(sock: socket.socket, path: str) -> None:
    """Makes hard exits report their line to the judge before the process ends.

    ``os._exit`` and friends end the process without unwinding, so no
    exception can say where they were called; these wrappers tell the judge
    first. Code that reaches the raw functions another way still only gets a
    generic "the process ended" message: this is feedback, not a defence.
    """
    for owner in (os, posix):
        for name in ("_exit", "abort", "kill", "killpg"):
            original = getattr(owner, name, None)
            if original is not None:
                setattr(owner, name, _noting(original, name, sock, path))


def _noting(original: Any, name: str, sock: socket.socket, path: str) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        where = _student_line(list(traceback.walk_stack(sys._getframe()))[::-1], path)
        try:
            send_message(sock, {"note": "hard_exit", "function": name, "where": where})
        except OSError:
            pass
        return original(*args, **kwargs)

    return wrapper


def _call(module: types.ModuleType | None, scenario: str, args: dict[str, Any]
          ) -> dict[str, Any]:
    if module is None:
        return _error("call", RuntimeError("no student module is loaded"), None)
    module_name, _, function_name = scenario.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # noqa: BLE001 - a grader problem, not the student's
        return {"ok": False, "error": {"kind": "internal", "type": type(error).__name__,
                                       "message": f"scenario {scenario} unavailable: {error}",
                                       "where": None}}
    try:
        return {"ok": True, "value": function(module, **args)}
    except AttributeError as error:
        if error.obj is module and isinstance(error.name, str):
            return _missing_name(module, error.name)
        return _error("call", error, module.__file__)
    except BaseException as error:  # noqa: BLE001 - report everything to the judge
        return _error("call", error, module.__file__)


def _missing_name(module: types.ModuleType, name: str) -> dict[str, Any]:
    """A name of the assignment's API the student's module does not define (a typo?)."""
    defined = [n for n in vars(module) if not n.startswith("_")]
    close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
    return {"ok": False, "error": {"kind": "missing_name", "type": "AttributeError",
                                   "message": name, "where": None,
                                   "close": close[0] if close else None, "traceback": ""}}


def _error(phase: str, error: BaseException, path: str | None) -> dict[str, Any]:
    frames = list(traceback.walk_tb(error.__traceback__))
    if isinstance(error, NotImplementedError) and _raised_by_student(frames, path):
        kind = "not_implemented"
    elif isinstance(error, SystemExit):
        kind = "exit"
    elif isinstance(error, SyntaxError) and phase == "load":
        kind = "syntax"
    else:
        kind = "exception"
    where = _student_line(frames, path)
    if isinstance(error, SyntaxError) and error.lineno is not None:
        where = {"file": os.path.basename(error.filename or path or "?"),
                 "line": error.lineno, "function": None, "code": (error.text or "").strip()}
    return {"ok": False, "error": {
        "kind": kind, "phase": phase, "type": type(error).__name__,
        "message": error.msg if isinstance(error, SyntaxError) else _safe_str(error),
        "where": where,
        "traceback": "".join(traceback.format_exception(error))[-8000:],
    }}


def _raised_by_student(frames: list[tuple[types.FrameType, int]], path: str | None) -> bool:
    """Whether the innermost frame is the student's own code.

    A stub's ``raise NotImplementedError`` is "not implemented yet"; torch
    raising it (an operation the meta device lacks, say) is an error, even
    when the innermost Python frame is the student's line that called torch.
    """
    if not frames or path is None:
        return False
    frame, line = frames[-1]
    filename = frame.f_code.co_filename
    return (os.path.realpath(filename) == os.path.realpath(path)
            and linecache.getline(filename, line).lstrip().startswith("raise"))


def _student_line(frames: list[tuple[types.FrameType, int]], path: str | None
                  ) -> dict[str, Any] | None:
    """The innermost frame in the student's file, as a plain dict."""
    if path is None:
        return None
    target = os.path.realpath(path)
    for frame, line in reversed(frames):
        if os.path.realpath(frame.f_code.co_filename) == target:
            code = frame.f_code
            return {"file": os.path.basename(path), "line": line,
                    "function": getattr(code, "co_qualname", code.co_name),
                    "code": linecache.getline(code.co_filename, line).strip()}
    return None


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)[:2000]
    except Exception:  # noqa: BLE001 - a student's __str__ may raise
        return "<unprintable exception>"
