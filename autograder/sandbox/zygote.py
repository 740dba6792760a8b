"""The warm zygote: imports torch once, then forks one sandbox per request.

Run as ``python -I -B -m autograder.sandbox.zygote FD`` by
:class:`autograder.sandbox.client.Zygote`, with an empty environment and,
where the OS allows, in a network namespace of its own. ``FD`` is a Unix
datagram socket on which the judge sends fork requests, each carrying the
socket the new sandbox will talk on. The zygote holds no reference code, no
snapshots and no seeds: only torch and the sandbox's own modules. Neither it
nor a sandbox writes bytecode anywhere (``-B``, and :func:`main` says so
again whoever starts it): student files are compiled from the bytes the
judge sends, never imported by path.
"""

from __future__ import annotations

from autograder import startup

if __name__ == "__main__":  # the zygote itself imports as the command does: the collector
    startup.own()  # paused, the compiler stack deferred; main() settles after the warm-up

import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402

from autograder.sandbox import hugepages, jail, worker  # noqa: E402
from autograder.sandbox.generic import reseed  # noqa: E402
from autograder.sandbox.launch import die_with_parent  # noqa: E402

_REQUEST_BYTES = 65536
_SHRUGGED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def main(argv: list[str]) -> None:
    """Serves fork, kill and huge-page requests on socket ``argv[0]``.

    ``--own-mounts`` says the zygote was started in a mount namespace of its
    own, where it may build the sandboxes' private file system view.
    """
    sys.dont_write_bytecode = True  # as -B: no __pycache__ next to anything imported
    control = socket.socket(fileno=int(argv[0]))
    die_with_parent()
    torch.set_num_threads(1)
    _warm_up()
    held = jail.enter(Path.cwd(), own_mounts="--own-mounts" in argv[1:])
    uids = jail.Uids() if held["separate_user"] else None
    # Frozen, what the warm-up built is never touched by a collection, which would make
    # forked children copy its pages; resumed, student code collects its garbage as anywhere.
    startup.settle()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for number in _SHRUGGED:  # a sandbox of the zygote's own user may signal it
        signal.signal(number, signal.SIG_IGN)
    control.send(json.dumps({"ready": True, "pid": os.getpid(), "isolation": held}).encode())
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, _REQUEST_BYTES, 4)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        if request.get("op") == "huge_pages":  # the judge will ask for many forks
            with contextlib.suppress(OSError, ValueError):  # a speed-up, never worth failing for
                hugepages.collapse()
        if request.get("op") == "kill" and type(request.get("pid")) is int:
            _kill_group(request["pid"])  # a pid of this namespace: only here does it mean it
            if uids is not None and request["pid"] in uids.owner:
                uids.sweep(uids.owner.pop(request["pid"]))  # and all it left behind
        if request.get("op") != "fork" or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        uid = (uids.next() if uids is not None  # see jail.confine
               else os.geteuid() if held["private_filesystem"] else None)
        pid = os.fork()
        if pid == 0:
            _become_sandbox(control, fds, request, uid)
        for fd in fds:
            os.close(fd)
        if uids is not None and uid is not None:
            uids.owner[pid] = uid
        control.send(json.dumps({"pid": pid}).encode())


def _warm_up() -> None:
    """Pays once for torch's lazy set-up that every sandbox would pay again.

    The first optimizer step sets up its state (the compiler stack it would
    import waits in :mod:`autograder.sandbox.compiler`); checkpoints go
    through the serialisation code; the stand-in accelerator of device
    checks goes through torch's function overrides; every assignment's
    scenarios (trusted grader code, never a reference solution) are
    imported, and the first pass through a data loader, pickling and the
    wire format is paid here, as is importing ``numpy.random``, which
    every sandbox seeds (:func:`_same_random_start`). Without this, each
    sandbox paid 5-20 ms for its first call. Everything here stays
    single-threaded, so forking afterwards is safe.
    """
    import importlib
    import io
    import pickle

    import torch.utils.data

    from autograder import registry
    from autograder.sandbox import perturb  # noqa: F401 - imported for its side effect
    from autograder.sandbox.protocol import (
        decode_value,
        encode_value,
        recv_message,
        send_message,
    )
    from autograder.sandbox.standin import DEVICE, StandIn

    for assignment in registry.discover():
        importlib.import_module(assignment.scenarios_module)
    data = torch.utils.data.TensorDataset(torch.randn(5, 3), torch.randn(5, 2))
    loader = torch.utils.data.DataLoader(data, batch_size=2)
    pickle.loads(pickle.dumps(loader))
    for inputs, targets in loader:
        torch.nn.functional.mse_loss(torch.relu(inputs.double()) @ torch.ones(3, 2,
                                     dtype=torch.float64), targets.double()).item()
    torch.nn.utils.rnn.pad_sequence([torch.arange(3), torch.arange(1)], batch_first=True)
    tree, tensors = encode_value({"warm": torch.ones(2), "list": [1.0, "a"]})
    left, right = socket.socketpair()
    with left, right:  # the wire format's first use
        send_message(left, {"value": tree}, tensors)
        header, received = recv_message(right)
        decode_value(header["value"], received)

    with StandIn():
        on_device = torch.ones(2, 3, dtype=torch.float64).to(DEVICE)
        (on_device @ on_device.T + torch.zeros(2, 2, device=on_device.device)).sum().item()
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2),
                                torch.nn.Dropout())
    for optimizer in (torch.optim.Adam(model.parameters()),
                      torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)):
        model(torch.ones(4, 3)).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)
    if "numpy" in sys.modules:  # torch imports NumPy where it is installed, but not
        importlib.import_module("numpy.random")  # its generators: 7-9 ms in every sandbox


def _same_random_start() -> None:
    """Every sandbox starts from one random state, in every zygote, run and machine.

    torch, Python's ``random`` and NumPy seed their global generators from
    the OS when they start, so code that draws without seeding first (a
    mistake such as re-initialising weights in ``forward``) got other
    numbers in every zygote: other feedback for the same submission and
    ``--seed`` from run to run, and from one judge of a pool to the next.
    The constant is no grading seed: scenarios reseed with those themselves.
    Set in each sandbox, after the fork: Python reseeds ``random`` in a
    forked child.
    """
    import random

    random.seed(0)
    reseed(0)
    generators = sys.modules.get("numpy.random")  # imported by the warm-up: an import
    if generators is not None:  # here would cost every sandbox 7-9 ms
        generators.seed(0)


def _become_sandbox(control: socket.socket, fds: list[int], request: dict[str, Any],
                    uid: int | None) -> None:
    """Turns the freshly forked child into a limited sandbox; never returns.

    ``fds`` are the judge's socket for this sandbox, then the files its
    standard output, standard error and hang report go to: the judge opened
    them, so the sandbox needs no right to create a file outside its scratch
    folder. ``uid`` is the sandbox's own user where the zygote built a
    private file system view (see :func:`autograder.sandbox.jail.confine`).
    """
    sock, stdout, stderr, hang = fds
    status = 0
    try:
        control.close()
        die_with_parent()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for number in _SHRUGGED[1:]:
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        _apply_limits(request["limits"])
        _same_random_start()
        _redirect(stdout, stderr)
        report = open(hang, "w", closefd=False)  # noqa: SIM115 - lives as long as we do
        scratch = request["scratch"]
        jail.confine(scratch, uid)
        os.chdir(scratch)
        os.environ.update(HOME=scratch, TMPDIR=scratch, USER="sandbox", LOGNAME="sandbox")
        tempfile.tempdir = None
        worker.serve(socket.socket(fileno=sock), hang_report=report)
    except BaseException:  # noqa: BLE001 - the process ends here whatever happened
        traceback.print_exc()
        status = 1
    finally:
        os._exit(status)


def _kill_group(pid: int) -> None:
    """SIGKILLs a sandbox's process group (it called setsid) and the sandbox itself."""
    if pid <= 1:
        return
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue


def _apply_limits(limits: dict[str, Any]) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (jail.OPEN_FILES, jail.OPEN_FILES))
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    output = int(limits["output_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    memory = limits.get("memory_bytes")
    if memory and sys.platform.startswith("linux"):
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + int(memory),) * 2)


def _address_space() -> int:
    """The process's current virtual size: torch alone maps hundreds of MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _redirect(stdout: int, stderr: int) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115


if __name__ == "__main__":
    main(sys.argv[1:])
