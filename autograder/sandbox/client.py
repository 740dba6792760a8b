"""The judge's side of the sandbox: a warm zygote and the sandboxes it forks.

:class:`Zygote` starts one ``python -I`` process (in a network namespace of its
own where the OS allows) that imports torch once; :meth:`Zygote.sandbox`
forks a :class:`Sandbox` from it in ~tens of milliseconds. A sandbox runs one
student file, whose bytes are read here and sent to it, and then runs
scenarios; every answer crosses back through
:mod:`autograder.sandbox.protocol` and is validated here.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.sandbox import errors, jail, launch
from autograder.sandbox.errors import SandboxFailure
from autograder.sandbox.launch import ZygoteProcess
from autograder.sandbox.protocol import (
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    decode_value,
    encode_value,
    recv_message,
    send_message,
)

_GRACE_SECONDS = 0.5  # lets faulthandler write where the code hung
_OUTPUT_TAIL = 4000
_MAX_SOURCE_BYTES = 8 << 20  # sent in a load request's header, base64 (see protocol)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox.

    Attributes:
        call_seconds: Wall time for one scenario call.
        after_timeout_seconds: Wall time for each later call of an assignment
            whose code already timed out once: one endless loop should not
            cost the batch a full time limit per check.
        load_seconds: Wall time for importing the student's file.
        cpu_seconds: CPU time for the sandbox's whole life (a backstop).
        memory_bytes: Address space the sandbox may add on top of torch's.
        output_bytes: Largest file (stdout, stderr, anything) it may write.
    """

    call_seconds: float = 10.0
    load_seconds: float = 10.0
    after_timeout_seconds: float = 2.0
    cpu_seconds: int = 300
    memory_bytes: int | None = 4 << 30
    output_bytes: int = 8 << 20


@dataclass
class Budget:
    """Wall time left to one submission, shared by all of its sandboxes."""

    seconds: float

    def take(self, wanted: float) -> float:
        return max(0.0, min(wanted, self.seconds))

    def spend(self, seconds: float) -> None:
        self.seconds = max(0.0, self.seconds - seconds)


class Zygote:
    """A warm process with torch imported, from which sandboxes are forked.

    Use as a context manager; :attr:`isolation` records what the OS allowed.
    """

    def __init__(self, *, workdir: Path | None = None, network: bool = False,
                 launched: ZygoteProcess | None = None,
                 environment: dict[str, str] | None = None) -> None:
        """Launches a zygote in ``workdir``, or adopts one ``launched`` earlier.

        ``environment`` adds variables to the zygote's otherwise empty
        environment (the conditioning audit chooses other CPU kernels so).

        Raises:
            ValueError: neither ``workdir`` nor ``launched`` given.
        """
        if launched is None:
            if workdir is None:
                raise ValueError("a Zygote needs a workdir or a launched process")
            launched = launch.start(workdir=Path(workdir), network=network,
                                    environment=environment)
        self._launched = launched
        self.workdir = launched.workdir
        self._count = 0
        self._control = launched.control

    @property
    def isolation(self) -> dict[str, Any]:
        """The protections in force, with their ``level``, once the zygote is warm."""
        self._wait_ready()
        return dict(self._launched.isolation)

    def sandbox(self, *, path: Path, module: str, limits: Limits, budget: Budget,
                label: str) -> Sandbox:
        """Forks a sandbox and loads ``path`` into it as module ``module``.

        Raises:
            SandboxFailure: the file could not be imported (status ``error``
                or ``timeout``); the sandbox is already gone.
        """
        self._wait_ready()
        self._count += 1
        home = None
        if self._launched.isolation.get("bounded_scratch"):
            scratch = self.workdir / jail.SCRATCH_POINT  # a tmpfs of its own is mounted there
        else:
            home = Path(tempfile.mkdtemp(prefix=f"{self._count:04d}-", dir=self.workdir))
            home.chmod(0o711)  # the sandbox may pass through to its scratch, and list nothing
            scratch = home / "scratch"
            scratch.mkdir()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = {"op": "fork", "scratch": str(scratch),
                   "limits": {"cpu_seconds": limits.cpu_seconds,
                              "output_bytes": limits.output_bytes,
                              "memory_bytes": limits.memory_bytes}}
        outputs = Outputs.open(self.workdir)
        with theirs:
            socket.send_fds(self._control, [json.dumps(request).encode()],
                            [theirs.fileno(), *outputs.descriptors()])
        pid = self._launched.receive(timeout=30.0).get("pid")
        if type(pid) is not int:
            outputs.close()
            raise RuntimeError(f"sandbox zygote did not fork: {self._log()}")
        sandbox = Sandbox(pid=pid, sock=mine, home=home, outputs=outputs, path=Path(path),
                          limits=limits, budget=budget, label=label, kill=self._kill)
        try:
            sandbox.load(module)
        except BaseException:
            sandbox.discard()  # gone already; its outputs are in the failure
            raise
        return sandbox

    def share_huge_pages(self) -> None:
        """Asks the zygote to put its memory in huge pages before its next fork.

        Worth it only for a zygote that will fork many sandboxes (a batch):
        it costs about half a second once and saves a few milliseconds on
        every fork and exit (see :mod:`autograder.sandbox.hugepages`).
        """
        with contextlib.suppress(OSError):  # a zygote that is gone answers no fork either
            self._control.send(json.dumps({"op": "huge_pages"}).encode())

    def _kill(self, pid: int) -> None:
        """Asks the zygote to SIGKILL a sandbox's process group.

        ``pid`` is the sandbox's pid as the zygote sees it. Where the zygote
        has a PID namespace of its own, that number means another process, or
        none, out here: only the zygote may use it. A zygote that is gone took
        its sandboxes with it.
        """
        try:
            self._control.send(json.dumps({"op": "kill", "pid": pid}).encode())
        except OSError:
            pass

    def _wait_ready(self) -> None:
        """Waits for the zygote's warm-up, which overlaps the judge's own start."""
        if not self._launched.ready():
            raise RuntimeError(f"sandbox zygote failed to start: {self._log()}")

    def _log(self) -> str:
        path = self.workdir / "zygote.log"
        return path.read_text(errors="replace")[-_OUTPUT_TAIL:] if path.exists() else ""

    def close(self) -> None:
        self._launched.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Outputs:
    """Where a sandbox's standard output, standard error and hang report go.

    Files in memory (``memfd``) where the OS has them, so that a sandbox
    costs the disk nothing: creating and removing three files and a folder
    on disk cost the judge about 0.3 ms per sandbox, against 0.02 ms.
    Elsewhere, unnamed files in the zygote's folder. Either way the judge
    holds the only names (its descriptors), and the size limit on what a
    sandbox writes (``RLIMIT_FSIZE``) applies alike.
    """

    NAMES = ("stdout", "stderr", "hang")

    def __init__(self, files: list[io.FileIO]) -> None:
        self._files = files

    @classmethod
    def open(cls, workdir: Path) -> Outputs:
        return cls([open(_output_file(name, workdir), "r+b", buffering=0)  # noqa: SIM115
                    for name in cls.NAMES])

    def descriptors(self) -> list[int]:
        return [file.fileno() for file in self._files]

    def tail(self, name: str, size: int) -> str:
        """The last ``size`` bytes written to ``name`` (one of :attr:`NAMES`), as text."""
        file = self._files[self.NAMES.index(name)]
        if file.closed:
            return ""
        end = os.fstat(file.fileno()).st_size
        return os.pread(file.fileno(), size, max(0, end - size)).decode(errors="replace")

    def close(self) -> None:
        for file in self._files:
            file.close()


def _output_file(name: str, workdir: Path) -> int:
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.memfd_create(f"sandbox-{name}", os.MFD_CLOEXEC)
    descriptor, path = tempfile.mkstemp(prefix=f"{name}-", dir=workdir)
    os.unlink(path)
    return descriptor


@dataclass
class Sandbox:
    """One process holding one student file; see :meth:`Zygote.sandbox`.

    Attributes:
        pid: The sandbox's pid in the zygote's PID namespace, which may not be
            the judge's: never signal it from here, use ``kill``.
        kill: SIGKILLs the sandbox's process group, given ``pid`` (the zygote does).
    """

    pid: int
    sock: socket.socket
    home: Path | None  # its scratch folder's parent, where the OS gives it no scratch of its own
    outputs: Outputs
    path: Path
    limits: Limits
    budget: Budget
    label: str
    kill: Callable[[int], None]
    alive: bool = True
    notes: list[dict[str, Any]] = field(default_factory=list)
    source: bytes = b""  # the bytes graded, as read by :meth:`load`

    def load(self, module: str) -> None:
        """Runs the student's file in the sandbox as module ``module``.

        The file is read here, once, and its bytes travel in the request: the
        sandbox compiles exactly them and never opens the file, its folder or
        a bytecode cache beside it (SPEC §2: exactly the submitted source is
        graded, and nothing is written into a submission).

        Raises:
            SandboxFailure: the file could not be read or run (status
                ``error`` or ``timeout``); the sandbox is already gone.
        """
        try:
            self.source = self.path.read_bytes()
        except OSError as error:
            self.close()
            raise SandboxFailure("error", f"Could not read {self.label} "
                                 f"({error.strerror or error}).", str(error)) from None
        if len(self.source) > _MAX_SOURCE_BYTES:
            self.close()
            raise SandboxFailure("error", f"{self.label} is {len(self.source) / 2**20:.1f} MiB "
                                 f"of code; a file may hold at most "
                                 f"{_MAX_SOURCE_BYTES // 2**20} MiB. Keep data out of it.")
        header = {"op": "load", "path": str(self.path), "module": module,
                  "source": base64.b64encode(self.source).decode("ascii"),
                  "timeout": self.limits.load_seconds}
        reply = self._exchange(header, {}, self.limits.load_seconds, loading=True)
        if not reply.get("ok"):
            self.close()
            raise errors.from_load_error(reply.get("error"), self.label)

    def run(self, scenario: Callable[..., Any], /, **args: Any) -> Any:
        """Runs ``scenario(student_module, **args)`` in the sandbox.

        Returns:
            The scenario's value, decoded: plain values and exact tensors.

        Raises:
            SandboxFailure: the student's code raised, hung, crashed or
                returned something that cannot be graded.
        """
        if not self.alive:
            raise SandboxFailure("error", "The process running your code is gone.")
        tree, tensors = encode_value(args)
        header = {"op": "call", "scenario": f"{scenario.__module__}:{scenario.__name__}",
                  "args": tree, "timeout": 0}
        reply = self._exchange(header, tensors, self.limits.call_seconds, loading=False)
        if not reply.get("ok"):
            raise errors.from_call_error(reply.get("error"))
        try:
            return decode_value(reply.get("value"), reply["_tensors"])
        except ProtocolError as error:
            self.close()
            raise SandboxFailure(
                "error", "The sandbox sent back a malformed answer; it was discarded.",
                str(error)) from error

    def _exchange(self, header: dict[str, Any], tensors: dict[str, Any], seconds: float,
                  *, loading: bool) -> dict[str, Any]:
        allowed = self.budget.take(seconds)
        if allowed <= 0:
            self.close()
            raise errors.timed_out(self.label, 0, " (this submission used up its total time)",
                                   loading=loading)
        header["timeout"] = allowed
        start = time.monotonic()
        try:
            send_message(self.sock, header, tensors)
            while True:
                reply, blob = recv_message(self.sock, deadline=start + allowed + _GRACE_SECONDS)
                if time.monotonic() - start > allowed:
                    raise ChannelTimeout("answered after the limit")
                if "note" not in reply:
                    reply["_tensors"] = blob
                    return reply
                self.notes.append(reply)
        except ChannelTimeout:
            self.close()
            raise errors.timed_out(self.label, allowed, self._hang_location(),
                                   loading=loading) from None
        except ChannelClosed:
            self.close()
            exits = [n for n in self.notes if n.get("note") == "hard_exit"]
            if exits:
                raise errors.hard_exit(exits[-1], self.label, loading=loading) from None
            raise errors.crashed(self.label, loading=loading, output=self.output()) from None
        except (ProtocolError, OSError) as error:
            self.close()
            raise SandboxFailure("error", "The sandbox sent back a malformed answer.",
                                 str(error)) from None
        finally:
            self.budget.spend(time.monotonic() - start)

    def _hang_location(self) -> str:
        """Where the student's code was when time ran out, from faulthandler."""
        text = self.outputs.tail("hang", 1 << 20)
        pattern = re.compile(r'File "(.+)", line (\d+) in (\S+)')
        for match in pattern.finditer(text):
            if Path(match.group(1)).resolve() == self.path.resolve():
                line = int(match.group(2))
                return errors.describe_where(
                    {"file": self.label, "line": line, "function": match.group(3),
                     "code": _source_line(self.source, line)})
        return ""

    def output(self) -> str:
        """The tail of what the student's code printed, for instructors."""
        parts = []
        for name in ("stdout", "stderr"):
            text = self.outputs.tail(name, _OUTPUT_TAIL)
            if text:
                parts.append(f"--- {name}.txt ---\n{text}")
        return "\n".join(parts)

    def close(self) -> None:
        if self.alive:
            self.alive = False
            try:
                send_message(self.sock, {"op": "exit"})
            except OSError:
                pass
            self.kill(self.pid)
        self.sock.close()

    def discard(self) -> None:
        """Closes the sandbox and drops its outputs and scratch folder."""
        self.close()
        self.outputs.close()
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)


def _source_line(source: bytes, line: int) -> str:
    """Line ``line`` of the graded source (not of the file, which may have changed since)."""
    try:
        lines = importlib.util.decode_source(source).splitlines()
    except (SyntaxError, UnicodeError, LookupError):
        lines = source.decode(errors="replace").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""
