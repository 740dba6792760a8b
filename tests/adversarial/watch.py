"""What the hostile batch is watched with: processes, the disk, sockets, stray files.

Everything here observes from outside the grader, as an instructor's machine
would see it: ``/proc`` for processes, the file system for files, real
listening sockets for connections. Nothing is mocked.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.1
RESULT_NAMES = ("result.json", "results.json", "gradebook.csv")
"""Files a fake-result attack writes under their real names (their text has its marker)."""


@dataclass(frozen=True)
class Process:
    """A process seen in ``/proc``."""

    pid: int
    uid: int
    state: str
    command: str
    environment: str
    pid_namespace: str

    def mentions(self, text: str) -> bool:
        return text in self.command or text in self.environment


def processes() -> list[Process]:
    """Every process this user can see, with its command line and environment."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            try:
                environment = (entry / "environ").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace")
            except OSError:
                environment = ""
            namespace = os.readlink(entry / "ns" / "pid")
        except OSError:
            continue  # gone, or a kernel thread
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        found.append(Process(pid=int(entry.name), uid=int(fields["Uid"].split()[0]),
                             state=fields["State"].split()[0], command=command,
                             environment=environment, pid_namespace=namespace))
    return found


class Watch:
    """Samples the machine while the batch runs: free disk space, the bytes under the
    batch's TMPDIR (where sandboxes' scratch folders live, as the host sees them) and
    the grader's PID namespaces (where its zygotes, and all that student code starts,
    live)."""

    def __init__(self, *, batch_tmp: Path, token: str) -> None:
        self.batch_tmp, self.token = str(batch_tmp), token
        self.free_before = shutil.disk_usage(batch_tmp).free
        self.free_lowest = self.free_before
        self.tmp_peak = 0
        self.namespaces: set[str] = set()
        self.own_namespace = os.readlink("/proc/self/ns/pid")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        beat = 0
        while not self._stop.wait(SAMPLE_SECONDS):
            self.free_lowest = min(self.free_lowest, shutil.disk_usage(self.batch_tmp).free)
            self.tmp_peak = max(self.tmp_peak, _bytes_under(self.batch_tmp))
            beat += 1
            if beat % 5 == 0:
                self.namespaces |= {p.pid_namespace for p in processes()
                                    if p.mentions(self.batch_tmp)
                                    and p.pid_namespace != self.own_namespace}

    def leftovers(self, *, grace: float = 5.0) -> list[Process]:
        """Processes of the batch still alive after it ended, once ``grace`` has passed.

        A process belongs to the batch when its command line or environment
        names the batch's TMPDIR (the zygotes, and every process forked from
        them inherit that environment) or the run's token (attacks tag what
        they exec with their marker), or it lives in a PID namespace one of
        the batch's zygotes lived in.
        """
        deadline = time.monotonic() + grace
        while True:
            left = [p for p in processes() if p.state != "Z" and (
                p.mentions(self.batch_tmp) or p.mentions(self.token)
                or p.pid_namespace in self.namespaces)]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.2)


def _bytes_under(folder: str) -> int:
    """Disk space the files under ``folder`` take (vanishing ones are skipped)."""
    total = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(parent, name)).st_blocks * 512
            except OSError:
                continue
    return total


class Listener:
    """A TCP port on 127.0.0.1 and a Unix socket that record whoever connects."""

    def __init__(self, unix_path: Path) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(str(unix_path))
        self.unix.listen()
        os.chmod(unix_path, 0o777)  # as a careless judge might leave it
        self.unix_path = unix_path
        self.port = self.tcp.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.tcp, self.unix], [], [], 0.1)
            for server in ready:
                connection, _ = server.accept()
                with connection:
                    connection.settimeout(1.0)
                    try:
                        self.received.append(connection.recv(4096) or b"<connected>")
                    except OSError:
                        self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.tcp.close()
        self.unix.close()


@dataclass
class Strays:
    """Files an attack left where no sandbox may write, by the marker they carry."""

    found: dict[str, list[Path]] = field(default_factory=dict)

    def of(self, marker: str) -> list[Path]:
        return self.found.get(marker, [])


def find_strays(markers: Iterable[str], *, deep: Iterable[Path], shallow: Iterable[Path],
                read: Iterable[Path], judged: Iterable[Path]) -> Strays:
    """Files that carry a marker in their name: in ``deep`` folders at any depth, in
    ``shallow`` ones at their top (``/``, ``/tmp``, the home folder).

    Under the ``read`` folders (the kit), which no result quotes, any small
    file's text counts too; elsewhere only that of files named like results,
    except in the ``judged`` folders (``--out``), whose results may quote an
    attack's code or messages, marker included (the tests check that those
    folders hold only the judge's files).
    """
    markers = list(markers)
    read, judged = tuple(str(f) for f in read), tuple(str(f) for f in judged)
    strays = Strays()
    for path in _files(deep, shallow):
        name = path.name
        hits = [m for m in markers if m in name]
        if not hits and not str(path).startswith(judged) and _small(path) and (
                name in RESULT_NAMES or str(path).startswith(read)):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            hits = [m for m in markers if m.encode() in data]
        for marker in hits:
            strays.found.setdefault(marker, []).append(path)
    return strays


def _files(deep: Iterable[Path], shallow: Iterable[Path]) -> Iterable[Path]:
    for folder in shallow:
        try:
            yield from (p for p in folder.iterdir() if p.is_symlink() or not p.is_dir())
        except OSError:
            continue
    for folder in deep:
        for parent, _, names in os.walk(folder):
            yield from (Path(parent) / name for name in names)


def _small(path: Path) -> bool:
    try:
        return not path.is_symlink() and path.is_file() and path.stat().st_size < 1 << 20
    except OSError:
        return False


def git_status(root: Path, *paths: str) -> set[str]:
    """``git status --porcelain`` lines for ``paths`` of the checkout at ``root``."""
    done = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                           "--untracked-files=all", "--", *paths],
                          capture_output=True, text=True, check=True)
    return set(done.stdout.splitlines())
