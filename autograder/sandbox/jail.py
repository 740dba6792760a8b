"""What keeps student code from reading the answers or writing into the kit.

The zygote runs, where the OS allows, as root of its own user, mount, PID
and network namespaces (see :func:`autograder.sandbox.launch.unshare`).
After its warm-up it calls :func:`enter`, which replaces its view of the
file system with a private one: a small in-memory root that holds, read
only, the Python installation, the libraries already loaded and the kit's
own package, plus the zygote's work folder. The reference solutions, grader
bundles, snapshots of secret seeds and the judge's output are simply not
there. Every sandbox inherits that view.

Each sandbox then (:func:`confine`):

* gets its scratch folder as a size-bounded in-memory file system, private
  to it, which is also its HOME and TMPDIR;
* when the grader is root, becomes a user of its own (a uid no other live
  sandbox has), so it cannot read another sandbox's memory or files, nor
  write a file it does not own; where only a user namespace is to be had
  it drops every capability instead;
* can never gain privileges again (``PR_SET_NO_NEW_PRIVS``), and is not
  dumpable, so no other process of its user can read its memory.

When a sandbox is closed the zygote kills every process of its uid
(:meth:`Uids.sweep`): a double-forked daemon goes with it, and nothing it
left counts against the next sandbox's process limit. Every step records
whether it held; :func:`level` names the result (SPEC §4).
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import platform
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

LEVELS = ("process", "contained", "jailed")
"""Isolation levels, weakest first: see :func:`level` and SECURITY.md."""

SCRATCH_BYTES = 64 << 20
SCRATCH_POINT = "scratch"
"""Where, in the zygote's folder, every sandbox mounts its own scratch (its own mount
namespace keeps them apart): the judge then neither creates nor removes a folder
that was a mount point, which waits for the kernel to let go of it."""
SCRATCH_FILES = 4096
PROCESSES = 64  # per sandbox user: a fork storm stops here
OPEN_FILES = 256

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MNT_DETACH = 2
_CLONE_NEWNS = 0x00020000
_PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP = 4, 38, 24
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
_SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/sys")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group",
                 "/etc/nsswitch.conf")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
_UID_SPAN = 1 << 16  # uids handed out by one zygote before they wrap
_FIRST_UID = 1 << 20


class IsolationError(Exception):
    """This machine cannot isolate student code as far as the run requires."""


def level(isolation: dict[str, Any]) -> str:
    """The strongest level whose protections ``isolation`` records as held.

    * ``jailed``: no network, a PID namespace, a private file system view,
      and a user of its own for every sandbox (the grader runs as root);
    * ``contained``: the same without separate users (a user namespace);
    * ``process``: a separate process with limits and an empty environment.
    """
    contained = all(isolation.get(key) for key in
                    ("network_disabled", "process_sweep", "private_filesystem",
                     "bounded_scratch"))
    if contained and isolation.get("separate_user"):
        return "jailed"
    return "contained" if contained else "process"


def at_least(isolation: dict[str, Any], wanted: str) -> bool:
    return LEVELS.index(level(isolation)) >= LEVELS.index(wanted)


class Uids:
    """The uids a zygote hands its sandboxes: one per live sandbox, never root.

    The range starts at a random offset, so that the zygotes of a pool (and of
    two batches on one machine) do not share users: a user's process limit
    counts every process of that uid on the machine.
    """

    def __init__(self) -> None:
        self.base = _FIRST_UID + secrets.randbelow(1 << 14) * _UID_SPAN
        self._count = 0
        self.owner: dict[int, int] = {}  # sandbox pid -> its uid

    def next(self) -> int:
        uid = self.base + self._count % _UID_SPAN
        if self._count >= _UID_SPAN:
            self.sweep(uid)  # a wrapped uid starts clean
        self._count += 1
        return uid

    def sweep(self, uid: int) -> None:
        """SIGKILLs every process of ``uid`` that this PID namespace holds."""
        for _ in range(20):
            found = [pid for pid in _pids() if _uid_of(pid) == uid]
            if not found:
                return
            for pid in found:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def enter(workdir: Path, *, own_mounts: bool) -> dict[str, Any]:
    """Moves this process into a private, read-only view of the file system.

    Only Linux, and only as root of a mount namespace of our own
    (``own_mounts``: launched by ``unshare --mount``): anywhere else nothing
    changes, and the record says so.

    Returns:
        ``private_filesystem``, ``bounded_scratch`` and ``separate_user``:
        what the sandboxes forked afterwards will get.
    """
    held: dict[str, Any] = {"private_filesystem": False, "bounded_scratch": False,
                            "separate_user": False}
    if not own_mounts or not sys.platform.startswith("linux") or os.geteuid() != 0:
        return held
    try:
        _mount("", "/", "", _MS_REC | _MS_PRIVATE, None)  # nothing reaches the host
    except OSError as error:
        held["private_filesystem_error"] = str(error)
        return held
    try:
        os.chmod(workdir, 0o711)  # sandboxes pass through to their scratch, list nothing
        (Path(workdir) / SCRATCH_POINT).mkdir(mode=0o711, exist_ok=True)
        _pivot(_build_root(Path(workdir)))
    except OSError as error:
        held["private_filesystem_error"] = str(error)
        return held
    held["private_filesystem"] = held["bounded_scratch"] = True
    held["separate_user"] = _can_switch_users()
    return held


def confine(scratch: str, uid: int | None) -> None:
    """In a freshly forked sandbox: its own scratch, user and no privileges.

    ``uid`` is the sandbox's own user; this process's own where users cannot
    be switched (every capability is dropped instead); None where the zygote
    has no private file system, and nothing but "not dumpable" is possible.
    Must run before any student code; raises OSError when a step fails, and
    the sandbox then never starts.
    """
    _prctl(_PR_SET_DUMPABLE, 0)
    if uid is None:
        return
    _unshare(_CLONE_NEWNS)
    _mount("tmpfs", scratch, "tmpfs", _MS_NOSUID | _MS_NODEV,
           f"size={SCRATCH_BYTES},nr_inodes={SCRATCH_FILES},mode=0700,uid={uid},gid={uid}")
    if uid != os.geteuid():
        import resource

        os.setgroups([])
        os.setresgid(uid, uid, uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getuid() == 0:
            raise OSError("the sandbox kept root")
    else:
        _drop_capabilities()
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _prctl(_PR_SET_DUMPABLE, 0)  # a change of user resets it


def _build_root(workdir: Path) -> Path:
    """A tmpfs in ``workdir`` holding what a sandbox may see, bound read-only."""
    root = workdir / ".root"
    root.mkdir(mode=0o755)
    _mount("tmpfs", str(root), "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
    for path in _visible():
        _bind(path, root, read_only=True)
    _bind(workdir, root, read_only=True)  # the judge opens what a sandbox writes there
    for device in [*_DEVICES, *glob.glob("/dev/nvidia*"), "/dev/dri"]:
        if os.path.exists(device):  # accelerators too: CUDA starts in the sandbox
            _bind(Path(device), root, read_only=False)
    (root / "proc").mkdir()
    _mount("proc", str(root / "proc"), "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
           "hidepid=2")
    _mount("", str(root), "", _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, None)
    return root


def _visible() -> list[Path]:
    """System folders, the Python installation and the kit: read-only, nothing else."""
    import autograder

    # Not every entry of sys.path: an editable install may put the whole checkout
    # there, solutions included. The kit's own package is bound by itself.
    wanted: list[str | Path] = [*_SYSTEM, *_SYSTEM_FILES, sys.prefix, sys.base_prefix,
                                sys.exec_prefix, sys.base_exec_prefix,
                                os.path.dirname(os.path.realpath(sys.executable)),
                                Path(autograder.__file__).resolve().parent]
    found: list[Path] = []
    for entry in wanted:
        path = Path(entry)
        if path.is_symlink() and path.parent == Path("/"):
            found.append(path)  # /lib -> usr/lib on merged systems: kept as a link
        elif path.exists():
            found.append(path.resolve())
    kept: list[Path] = []
    for path in sorted(set(found), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(parent) for parent in kept if not parent.is_symlink()):
            kept.append(path)
    return kept


def _bind(path: Path, root: Path, *, read_only: bool) -> None:
    target = root / path.relative_to("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        target.symlink_to(os.readlink(path))
        return
    if path.is_dir():
        target.mkdir(exist_ok=True)
    else:
        target.touch()
    _mount(str(path), str(target), "", _MS_BIND | _MS_REC, None)
    if read_only:
        _mount("", str(target), "", _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID, None)


def _pivot(root: Path) -> None:
    """Makes ``root`` this process's ``/`` and lets go of the old one entirely."""
    os.chdir(root)
    number = _PIVOT_ROOT.get(platform.machine())
    try:
        if number is None:
            raise OSError("pivot_root: unknown on this machine")
        _check(libc().syscall(number, b".", b"."), "pivot_root")
        _check(libc().umount2(b".", _MNT_DETACH), "umount")
    except OSError:
        os.chroot(".")  # sandboxes hold no capability with which to leave it
    os.chdir("/")


def _can_switch_users() -> bool:
    """True when this process may become any of the sandbox uids (:class:`Uids`).

    So as the machine's root, or root of a user namespace that maps them all;
    not as a user mapped to root, whose namespace holds no other uid.
    """
    low, high = _FIRST_UID, _FIRST_UID + (1 << 14) * _UID_SPAN
    try:
        with open("/proc/self/uid_map") as mapping:
            ranges = [tuple(map(int, line.split())) for line in mapping if line.strip()]
    except (OSError, ValueError):
        return False
    return os.geteuid() == 0 and any(len(r) == 3 and r[0] <= low and high <= r[0] + r[2]
                                     for r in ranges)


def _drop_capabilities() -> None:
    """Drops every capability, for good (root of a user namespace, no other uid)."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text()) \
        if os.path.exists("/proc/sys/kernel/cap_last_cap") else 40
    for capability in range(last + 1):
        _prctl(_PR_CAPBSET_DROP, capability)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()
    _check(libc().capset(header, data), "capset")


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _uid_of(pid: int) -> int | None:
    """The real uid of ``pid`` (the owner of ``/proc/PID`` is root while it is not dumpable)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, loaded once: the zygote loads it, and every sandbox it forks
    uses that handle (loading it and looking up its functions again cost each
    sandbox about 0.3 ms)."""
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str, target: str, fstype: str, flags: int, data: str | None) -> None:
    result = libc().mount(source.encode(), target.encode(), fstype.encode(),
                          ctypes.c_ulong(flags), data.encode() if data else None)
    _check(result, f"mount {target}")


def _unshare(flags: int) -> None:
    _check(libc().unshare(flags), "unshare")


def _prctl(option: int, value: int) -> None:
    _check(libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")
