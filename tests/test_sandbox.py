"""The sandbox: real processes forked from a real zygote, real limits."""

from __future__ import annotations

import errno
import random
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy
import pytest
import torch

from autograder.sandbox import launch
from autograder.sandbox.client import Budget, Limits, Zygote
from autograder.sandbox.errors import SandboxFailure
from autograder.sandbox.generic import call

LIMITS = Limits(call_seconds=2.0, load_seconds=2.0, memory_bytes=1 << 30)


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    with Zygote(workdir=tmp_path_factory.mktemp("zygote")) as warm:
        yield warm


def student_file(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "student.py"
    path.write_text(textwrap.dedent(code))
    return path


def sandbox(zygote, path, budget=None, limits=LIMITS):
    return zygote.sandbox(path=path, module="student", limits=limits,
                          budget=budget or Budget(60), label=path.name)


def failure_of(action) -> SandboxFailure:
    with pytest.raises(SandboxFailure) as caught:
        action()
    return caught.value


def test_functions_run_and_return_exact_tensors(zygote, tmp_path):
    path = student_file(tmp_path, """
        import torch
        def double(x):
            return {"y": x * 2, "n": 3}
    """)
    box = sandbox(zygote, path)
    got = box.run(call, function="double", args=[torch.arange(3.0)])
    assert type(got["y"]) is torch.Tensor and torch.equal(got["y"], torch.tensor([0., 2., 4.]))
    assert got["n"] == 3
    box.discard()


def test_syntax_error_names_the_line(zygote, tmp_path):
    path = student_file(tmp_path, "x = 1\ndef f(:\n    pass\n")
    failure = failure_of(lambda: sandbox(zygote, path))
    assert failure.status == "error"
    assert "line 2" in failure.feedback and "syntax" in failure.feedback


def test_exception_at_import_names_the_line(zygote, tmp_path):
    path = student_file(tmp_path, "import torch\n\nvalue = undefined_name + 1\n")
    failure = failure_of(lambda: sandbox(zygote, path))
    assert "NameError" in failure.feedback and "line 3" in failure.feedback
    assert "undefined_name" in failure.detail


@pytest.mark.parametrize("code, fragment", [
    ("import os\nos._exit(0)\n", "os._exit()"),
    ("import sys\nsys.exit(3)\n", "called exit()"),
])
def test_exit_at_import_is_an_error_with_its_line(zygote, tmp_path, code, fragment):
    path = student_file(tmp_path, code)
    failure = failure_of(lambda: sandbox(zygote, path))
    assert failure.status == "error"
    assert fragment in failure.feedback and "line 2" in failure.feedback


def test_endless_import_times_out_within_the_limit(zygote, tmp_path):
    path = student_file(tmp_path, "x = 0\nwhile True:\n    x += 1\n")
    start = time.monotonic()
    failure = failure_of(lambda: sandbox(zygote, path))
    assert failure.status == "timeout"
    assert "line 3" in failure.feedback or "line 2" in failure.feedback
    assert time.monotonic() - start < LIMITS.load_seconds + 3


def test_endless_call_times_out_and_the_process_is_gone(zygote, tmp_path):
    path = student_file(tmp_path, """
        def spin(x):
            while True:
                x = x + 1
    """)
    box = sandbox(zygote, path)
    start = time.monotonic()
    failure = failure_of(lambda: box.run(call, function="spin", args=[1]))
    assert failure.status == "timeout" and "spin" in failure.feedback
    assert time.monotonic() - start < LIMITS.call_seconds + 3
    assert not box.alive
    assert "gone" in failure_of(lambda: box.run(call, function="spin", args=[1])).feedback


def _host_processes_of(zygote: Zygote, box) -> list[int]:
    """The host pids of the sandbox's process: the zygote's child whose innermost pid is box.pid.

    The zygote may run in a PID namespace of its own (``unshare --pid``), where
    ``box.pid`` is not the host's number for that process.
    """
    top = zygote._launched.process.pid  # the zygote, or `unshare` around it
    status = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = dict(line.split(":", 1) for line in
                              (entry / "status").read_text().splitlines() if ":" in line)
            except OSError:
                continue
            status[int(entry.name)] = (int(fields["PPid"]), fields["NSpid"].split())
    zygotes = {top} | {pid for pid, (parent, _) in status.items() if parent == top}
    return [pid for pid, (parent, nspid) in status.items()
            if parent in zygotes and int(nspid[-1]) == box.pid and pid not in zygotes]


def test_a_hung_sandbox_is_killed_by_its_own_pid_not_a_hosts(zygote, tmp_path):
    """The kill goes through the zygote, which alone knows what the sandbox's pid means.

    Inside a PID namespace the sandbox's pid is a small number that, out here,
    names a kernel thread or, after the host's pids wrap, any process at all:
    signalling it from the judge once killed the test run itself.
    """
    path = student_file(tmp_path, """
        def spin(x):
            while True:
                x = x + 1
    """)
    box = sandbox(zygote, path, limits=Limits(call_seconds=0.5, load_seconds=2.0))
    [host] = _host_processes_of(zygote, box)
    if zygote.isolation["process_sweep"]:
        assert host != box.pid  # a namespace pid: meaningless to the judge
    failure_of(lambda: box.run(call, function="spin", args=[1]))
    deadline = time.monotonic() + 5
    while Path(f"/proc/{host}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{host}").exists(), "the hung sandbox outlived its time-out"


def test_not_implemented_is_its_own_status(zygote, tmp_path):
    path = student_file(tmp_path, """
        class Layer:
            def forward(self):
                raise NotImplementedError("todo")
        def run():
            return Layer().forward()
    """)
    box = sandbox(zygote, path)
    failure = failure_of(lambda: box.run(call, function="run"))
    assert failure.status == "not_implemented" and "Layer.forward" in failure.feedback
    box.discard()


def test_a_missing_name_is_explained_with_the_likely_typo(zygote, tmp_path):
    path = student_file(tmp_path, """
        def helper():
            return (1).shape
        def two_layer_foward(x):
            return x
    """)
    box = sandbox(zygote, path)
    failure = failure_of(lambda: box.run(call, function="two_layer_forward"))
    assert failure.status == "error"
    assert failure.feedback.startswith("Your file defines no `two_layer_forward`")
    assert "(it defines `two_layer_foward`: a typo?)" in failure.feedback
    # An AttributeError of the student's own code is reported as what it is.
    other = failure_of(lambda: box.run(call, function="helper"))
    assert other.feedback.startswith("Your code raised AttributeError (line 3 of student.py")
    assert "'int' object has no attribute 'shape'" in other.feedback
    box.discard()


def test_hard_exit_during_a_call_is_reported_with_its_line(zygote, tmp_path):
    path = student_file(tmp_path, "import os\n\ndef leave():\n    os._exit(0)\n")
    box = sandbox(zygote, path)
    failure = failure_of(lambda: box.run(call, function="leave"))
    assert failure.status == "error" and "line 4" in failure.feedback


def test_values_that_are_not_data_fail_cleanly(zygote, tmp_path):
    path = student_file(tmp_path, "def thing():\n    return object()\n\ndef ok():\n    return 1\n")
    box = sandbox(zygote, path)
    failure = failure_of(lambda: box.run(call, function="thing"))
    assert "cannot be graded" in failure.feedback
    assert box.run(call, function="ok") == 1  # the sandbox serves the next check
    box.discard()


def test_output_is_captured_not_read_as_a_verdict(zygote, tmp_path):
    path = student_file(tmp_path, """
        import sys
        print('{"score": 100, "status": "passed"}')
        def talk():
            print("x" * 100_000)
            sys.stderr.write("warning\\n")
            return 1
    """)
    box = sandbox(zygote, path)
    assert box.run(call, function="talk") == 1
    output = box.output()
    assert "warning" in output and len(output) < 10_000
    box.discard()


def test_output_past_its_limit_is_refused_and_leaves_nothing_behind(zygote, tmp_path):
    path = student_file(tmp_path, """
        import os
        def flood():
            written = 0
            try:
                while written < 1_000_000:
                    written += os.write(1, b"y" * 4096)
            except OSError as error:
                return [written, error.errno]
            return [written, 0]
    """)
    before = set(zygote.workdir.iterdir())
    box = sandbox(zygote, path, limits=replace(LIMITS, output_bytes=64 * 1024))
    assert box.run(call, function="flood") == [64 * 1024, errno.EFBIG]
    assert box.output().endswith("y" * 1000)
    box.discard()
    assert set(zygote.workdir.iterdir()) == before


def test_memory_cap_stops_huge_allocations(zygote, tmp_path):
    path = student_file(tmp_path, """
        import torch
        def hog():
            return torch.ones(4 << 30, dtype=torch.uint8).sum().item()
    """)
    box = sandbox(zygote, path)
    failure = failure_of(lambda: box.run(call, function="hog"))
    assert failure.status == "error"
    assert "memory" in failure.feedback.lower() or "RuntimeError" in failure.feedback


def test_environment_and_working_directory_are_the_sandboxes_own(zygote, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHGRADE_SECRET", "judge-only")
    path = student_file(tmp_path, """
        import os
        def look():
            return {"secret": os.environ.get("TORCHGRADE_SECRET"), "cwd": os.getcwd(),
                    "stdin": os.read(0, 10).decode()}
    """)
    box = sandbox(zygote, path)
    got = box.run(call, function="look")
    assert got["secret"] is None and got["stdin"] == ""
    assert Path(got["cwd"]).name == "scratch" and str(tmp_path) not in got["cwd"]
    box.discard()


def test_network_is_cut_off_where_the_os_allows(zygote, tmp_path):
    if not zygote.isolation["network_disabled"]:
        pytest.skip("this OS gave the sandbox no network namespace")
    path = student_file(tmp_path, """
        import socket
        def reach():
            try:
                socket.create_connection(("127.0.0.1", 9), timeout=1)
            except OSError as error:
                return type(error).__name__
            return "connected"
    """)
    box = sandbox(zygote, path)
    assert box.run(call, function="reach") in ("OSError", "ConnectionRefusedError")
    box.discard()


def test_budget_of_a_submission_is_shared_by_its_calls(zygote, tmp_path):
    path = student_file(tmp_path, "import time\ndef nap():\n    time.sleep(0.4)\n")
    budget = Budget(0.6)
    box = sandbox(zygote, path, budget=budget)
    box.run(call, function="nap")
    failure = failure_of(lambda: box.run(call, function="nap"))
    assert failure.status == "timeout"
    assert budget.seconds == 0


def test_not_implemented_inside_torch_is_an_error_not_a_todo(zygote, tmp_path):
    path = student_file(tmp_path, """
        import torch
        def on_meta():
            return torch.ones(2, device="meta").tolist()
    """)
    box = sandbox(zygote, path)
    failure = failure_of(lambda: box.run(call, function="on_meta"))
    assert failure.status == "error" and "NotImplementedError" in failure.feedback
    box.discard()


def test_every_zygote_gives_its_sandboxes_one_random_start(tmp_path):
    """Unseeded draws (a student's mistake, say) read alike in every run and every judge."""
    path = student_file(tmp_path, """
        import random
        import numpy
        import torch
        def draws():
            return [torch.rand(3).tolist(), random.random(), float(numpy.random.rand())]
    """)
    seen = []
    for number in range(2):
        (tmp_path / f"zygote{number}").mkdir()
        with Zygote(workdir=tmp_path / f"zygote{number}") as fresh:
            box = sandbox(fresh, path)
            seen.append(box.run(call, function="draws"))
            box.discard()
    assert seen[0] == seen[1]
    assert seen[0] == [torch.rand(3, generator=torch.Generator().manual_seed(0)).tolist(),
                       random.Random(0).random(), float(numpy.random.RandomState(0).rand())]


def test_a_zygote_that_dies_warming_up_fails_the_wait_at_once(tmp_path):
    """Its control socket is a datagram one, which never reports a closed peer."""
    launched = launch.start(workdir=tmp_path)
    launch.kill_group(launched.process.pid)
    start = time.monotonic()
    try:
        assert launched.ready(timeout=60) == {}
    finally:
        launched.close()
    assert time.monotonic() - start < 5


def test_a_zygote_killed_mid_batch_fails_the_next_fork_at_once(tmp_path):
    path = student_file(tmp_path, "def f():\n    return 1\n")
    (tmp_path / "zygote").mkdir()
    launched = launch.start(workdir=tmp_path / "zygote")
    with Zygote(launched=launched) as doomed:
        assert sandbox(doomed, path).run(call, function="f") == 1
        launch.kill_group(launched.process.pid)
        start = time.monotonic()
        with pytest.raises(RuntimeError, match="did not fork"):
            sandbox(doomed, path)
        assert time.monotonic() - start < 5  # not the 30 s a fork may take
