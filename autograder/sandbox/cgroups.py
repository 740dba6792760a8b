"""A control group around the zygote and every sandbox it forks, where the OS gives one.

Resource limits (``setrlimit``) bound each sandbox process on its own; a
control group bounds them all together, in the kernel: their memory, and
how many processes they may hold, whoever forks them. The judge creates one
group per zygote, under cgroup v2 (``/sys/fs/cgroup``, where this process
may write a subtree) or the v1 ``memory`` and ``pids`` hierarchies, and the
zygote's launcher enters it before it starts anything (see :func:`enter`).
Where neither can be written, nothing is limited this way and the isolation
record says so (``cgroup: False``).
"""

from __future__ import annotations

import os
import shlex
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_BYTES = 16 << 30  # all sandboxes of one zygote together
PROCESSES = 1024

_ROOT = Path("/sys/fs/cgroup")


@dataclass
class Group:
    """The folders of one control group (one per hierarchy under v1)."""

    folders: list[Path] = field(default_factory=list)
    error: str = ""

    def enter(self) -> list[str]:
        """A command prefix that moves the launched process into the group, then runs it."""
        if not self.folders:
            return []
        moves = " && ".join(f"echo $$ > {shlex.quote(str(folder / 'cgroup.procs'))}"
                            for folder in self.folders)
        return ["/bin/sh", "-c", f'{moves} && exec "$@"', "torchgrade-sandbox"]

    def remove(self) -> None:
        """Deletes the group's folders once its processes are gone (best effort)."""
        for folder in self.folders:
            for _ in range(20):  # the last sandboxes may still be exiting
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def create() -> Group:
    """A fresh group with the memory and process limits, or an empty one with the reason."""
    name = f"torchgrade-{uuid.uuid4().hex[:12]}"
    group = Group()
    try:
        if (_ROOT / "cgroup.controllers").exists():
            group.folders = [_v2(_ROOT / _own_v2_path(), name)]
        else:
            group.folders = [_v1("memory", name, {"memory.limit_in_bytes": MEMORY_BYTES}),
                             _v1("pids", name, {"pids.max": PROCESSES})]
    except OSError as error:
        group.remove()
        return Group(error=f"{error.strerror or error}: {error.filename or ''}".strip(": "))
    return group


def _v1(controller: str, name: str, limits: dict[str, int]) -> Path:
    folder = _ROOT / controller / _own_v1_path(controller) / name
    folder.mkdir()
    for key, value in limits.items():
        (folder / key).write_text(str(value))
    return folder


def _v2(parent: Path, name: str) -> Path:
    enabled = (parent / "cgroup.subtree_control").read_text().split()
    if not {"memory", "pids"} <= set(enabled):
        raise OSError(0, "memory and pids controllers are not delegated here",
                      str(parent / "cgroup.subtree_control"))
    folder = parent / name
    folder.mkdir()
    (folder / "memory.max").write_text(str(MEMORY_BYTES))
    (folder / "pids.max").write_text(str(PROCESSES))
    return folder


def _own_v1_path(controller: str) -> str:
    for line in Path(f"/proc/{os.getpid()}/cgroup").read_text().splitlines():
        _number, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path.lstrip("/")
    return ""


def _own_v2_path() -> str:
    for line in Path(f"/proc/{os.getpid()}/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:].lstrip("/")
    return ""
