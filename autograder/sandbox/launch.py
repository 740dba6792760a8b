"""Starting the zygote process, without importing torch here.

The zygote needs a couple of seconds to import torch and warm up, and the
judge needs about as long to import torch and pytest. Launching the zygote
is cheap and needs neither, so a command can start it first thing
(:func:`start`) and hand it to the engine: the two warm-ups then overlap
instead of adding up. :class:`autograder.sandbox.client.Zygote` adopts a
launched process, or launches its own.
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.sandbox import cgroups, jail

_PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES")
_NAMESPACES = (  # flags, then: PID namespace, mount namespace
    (["--net", "--pid", "--fork", "--kill-child", "--mount"], True, True),
    (["--net", "--pid", "--fork", "--kill-child", "--mount", "--map-root-user"], True, True),
    (["--net", "--pid", "--fork", "--kill-child"], True, False),
    (["--net", "--pid", "--fork", "--kill-child", "--map-root-user"], True, False),
    (["--net"], False, False),
    (["--net", "--map-root-user"], False, False),
)
_WATCH_SECONDS = 0.1
"""How often a wait for the zygote's answer also checks that the zygote is still alive."""


@dataclass
class ZygoteProcess:
    """A launched zygote: its process, its control socket, and the isolation it got.

    Attributes:
        workdir: Where the zygote runs and its sandboxes get their folders.
        process: The zygote (or the ``unshare`` wrapper around it).
        control: The judge's end of the datagram socket the zygote listens on.
        isolation: What the OS allowed (network off, process sweep, ...).
    """

    workdir: Path
    process: subprocess.Popen[bytes]
    control: socket.socket
    isolation: dict[str, Any] = field(default_factory=dict)
    group: cgroups.Group = field(default_factory=cgroups.Group)
    _ready: dict[str, Any] | None = None

    def ready(self, *, timeout: float = 120.0) -> dict[str, Any]:
        """Waits for the zygote's warm-up; returns its ready message, or {} if it failed.

        The message says which protections the zygote could set up (see
        :func:`autograder.sandbox.jail.enter`); they join :attr:`isolation`,
        with its ``level``.
        """
        if self._ready is None:
            message = self.receive(timeout=timeout)
            if not message.get("ready"):
                return {}
            self._ready = message
            self.isolation.update(message.get("isolation", {}))
            self.isolation["level"] = jail.level(self.isolation)
        return self._ready

    def receive(self, *, timeout: float) -> dict[str, Any]:
        """The zygote's next message; {} after ``timeout`` seconds, or at once if it is gone.

        A datagram socket never tells one end that the other has closed, so
        the wait also watches the process: a zygote that crashes while warming
        up (or is killed later) fails the next wait in a tenth of a second,
        not at its timeout, and not again at every sandbox's.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            gone = self.process.poll() is not None  # what it sent before it went still counts
            wait = 0.0 if gone else max(0.0, min(left, _WATCH_SECONDS))
            try:
                watch = select.poll()  # not select(): no limit on the descriptor's number
                watch.register(self.control, select.POLLIN)
                if watch.poll(wait * 1000):
                    data = self.control.recv(65536, socket.MSG_DONTWAIT)
                    return json.loads(data) if data else {}
            except (OSError, ValueError):  # closed here, or not a message
                return {}
            if gone or left <= 0:
                return {}

    def close(self) -> None:
        """Ends the zygote and everything it forked; safe to call twice."""
        self.control.close()
        if self.process.poll() is None:
            kill_group(self.process.pid)
            self.process.wait()
        self.group.remove()


def start(*, workdir: Path, network: bool = False,
          environment: dict[str, str] | None = None) -> ZygoteProcess:
    """Launches ``python -I -B -m autograder.sandbox.zygote`` in ``workdir``.

    ``-B``: neither the zygote nor a sandbox ever writes bytecode, anywhere
    (student files are compiled from the bytes the judge sends, see
    :meth:`autograder.sandbox.client.Sandbox.load`).

    Args:
        workdir: An existing folder the zygote may use for the session.
        network: Leave the network on (off, in a namespace, where the OS allows).
        environment: Variables added to the zygote's environment (see
            :func:`sandbox_env`), e.g. to choose other CPU kernels.
    """
    workdir = Path(workdir)
    control, remote = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    prefix, cut, sweep, mounts = ([], False, False, False) if network else unshare()
    group = cgroups.create() if sys.platform.startswith("linux") else cgroups.Group()
    with open(workdir / "zygote.log", "wb") as log:
        process = subprocess.Popen(
            [*group.enter(), *dies_with_us(), *prefix, sys.executable, "-I", "-B", "-m",
             "autograder.sandbox.zygote",
             str(remote.fileno()), *(["--own-mounts"] if mounts else [])],
            pass_fds=[remote.fileno()], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env={**sandbox_env(workdir), **(environment or {})}, cwd=workdir,
            start_new_session=True)
    remote.close()
    isolation: dict[str, Any] = {
        "network_disabled": cut, "process_sweep": sweep, "process_group": True,
        "memory_cap": sys.platform.startswith("linux"), "cpu_limit": True,
        "output_limit": True, "python_isolated_mode": True,
        "private_filesystem": False, "bounded_scratch": False, "separate_user": False,
        "cgroup": bool(group.folders)}
    if group.error:
        isolation["cgroup_error"] = group.error
    isolation["level"] = jail.level(isolation)
    return ZygoteProcess(workdir=workdir, process=process, control=control,
                         isolation=isolation, group=group)


def die_with_parent() -> None:
    """Linux only: this process is killed when its parent goes, so nothing outlives a crash."""
    if sys.platform.startswith("linux"):
        jail.libc().prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def kill_group(pid: int) -> None:
    """SIGKILLs the process group led by ``pid`` (or the process alone)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue


def sandbox_env(home: Path) -> dict[str, str]:
    """The whole environment of the zygote and its sandboxes: nothing of the judge's."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONHASHSEED": "0", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    env.update({k: os.environ[k] for k in _PASSED_ENV if k in os.environ})
    return env


@functools.cache
def unshare() -> tuple[list[str], bool, bool, bool]:
    """The command prefix giving the zygote new namespaces, as far as the OS allows.

    Returns:
        The prefix; whether the network is cut off; whether the zygote is
        the init of a PID namespace (when it goes, every process that student
        code started goes with it); and whether it has a mount namespace of
        its own, in which it builds the sandboxes' private view of the file
        system (:mod:`autograder.sandbox.jail`).
    """
    tool = shutil.which("unshare")
    if tool is None:
        return [], False, False, False
    for flags, sweep, mounts in _NAMESPACES:
        probe = subprocess.run([tool, *flags, "true"], capture_output=True, timeout=10)
        if probe.returncode == 0:
            return [tool, *flags], True, sweep, mounts
    return [], False, False, False


@functools.cache
def dies_with_us() -> list[str]:
    """A command prefix that kills the launched process when this one dies, even by SIGKILL.

    The zygote kills itself when its parent goes, but inside ``unshare`` its
    parent is ``unshare``, which would outlive a judge killed with ``kill -9``
    (and keep the zygote and its sandboxes alive). ``setpriv --pdeathsig``
    makes the kernel kill ``unshare`` with the judge; ``unshare --kill-child``
    then takes the zygote down, and the PID namespace every sandbox. Empty
    where ``setpriv`` lacks the option (the zygote alone then guards itself).
    """
    tool = shutil.which("setpriv")
    if tool is None:
        return []
    probe = subprocess.run([tool, "--pdeathsig", "KILL", "true"], capture_output=True,
                           timeout=10)
    return [tool, "--pdeathsig", "KILL"] if probe.returncode == 0 else []
