"""What student code can reach: the answers, the kit, other sandboxes, the disk.

Run as root on Linux (as CI and Docker-based graders do), a sandbox is
``jailed``: a user of its own, a private read-only view of the file system, a
bounded scratch folder. The tests that need that level say so and are
skipped elsewhere with the reason; the level itself is always recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from autograder.sandbox import jail
from autograder.sandbox.client import Budget, Limits, Zygote
from autograder.sandbox.generic import call
from tests.conftest import ROOT, SOLUTIONS, STUBS, make_submission, processes_with

LIMITS = Limits(call_seconds=5.0, load_seconds=5.0, memory_bytes=1 << 30)
TORCHGRADE = Path(sys.executable).with_name("torchgrade")


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    with Zygote(workdir=tmp_path_factory.mktemp("zygote")) as warm:
        yield warm


@pytest.fixture(scope="module")
def jailed(zygote):
    if zygote.isolation["level"] != "jailed":
        pytest.skip(f"sandboxes here are '{zygote.isolation['level']}', not 'jailed' "
                    "(needs Linux, root and unshare)")
    return zygote


def run(zygote, tmp_path: Path, code: str, function: str = "probe", args: tuple = ()):
    path = tmp_path / "student.py"
    path.write_text(textwrap.dedent(code))
    box = zygote.sandbox(path=path, module="student", limits=LIMITS, budget=Budget(60),
                         label=path.name)
    try:
        return box.run(call, function=function, args=args)
    finally:
        box.discard()


def test_the_level_follows_from_what_held():
    everything = {"network_disabled": True, "process_sweep": True,
                  "private_filesystem": True, "bounded_scratch": True}
    assert jail.level(everything | {"separate_user": True}) == "jailed"
    assert jail.level(everything | {"separate_user": False}) == "contained"
    assert jail.level(everything | {"network_disabled": False}) == "process"
    assert jail.at_least(everything, "contained") and not jail.at_least(everything, "jailed")


def test_the_zygote_reports_its_level(zygote):
    isolation = zygote.isolation
    assert isolation["level"] in jail.LEVELS
    assert isolation["level"] == jail.level(isolation)


NAMES = sorted(path.name for path in SOLUTIONS.glob("*/*.py"))
SEARCH = f"""
import os

SYSTEM = ("proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin", "etc", "var")


def probe(start="/"):
    seen = []
    for top, folders, files in os.walk(start):
        folders[:] = [f for f in folders if top != "/" or f not in SYSTEM]
        folders[:] = [f for f in folders if f not in ("site-packages", ".git")]
        for name in files:
            if name in {NAMES!r}:
                try:
                    with open(os.path.join(top, name), "rb") as stream:
                        if b"BEGIN SOLUTION" in stream.read():
                            seen.append(os.path.join(top, name))
                except OSError:
                    pass
    return {{"seen": sorted(seen), "solutions": os.path.exists({str(SOLUTIONS)!r}),
             "checkout": os.path.exists({str(ROOT / "tests")!r})}}
"""


def test_student_code_sees_neither_the_solutions_nor_the_checkout(jailed, tmp_path):
    assert run(jailed, tmp_path, SEARCH) == {"seen": [], "solutions": False,
                                             "checkout": False}
    (tmp_path / "open").mkdir()
    # The control: the same search, unconfined, finds them. It starts at the checkout, not
    # at "/": how long the host's whole disk takes to walk is no concern of this test.
    with Zygote(workdir=tmp_path / "open", network=True) as unconfined:
        got = run(unconfined, tmp_path, SEARCH, args=(str(ROOT),))
    assert got["solutions"] and str(SOLUTIONS / "02_my_linear" / "my_linear.py") in got["seen"]


def test_student_code_cannot_write_into_the_kit_or_outside_its_scratch(jailed, tmp_path):
    kit = Path(jail.__file__).resolve().parents[1]
    planted = kit / f"planted_{uuid.uuid4().hex}.py"
    got = run(jailed, tmp_path, f"""
        import os, tempfile

        def probe():
            outcome = {{}}
            for target in ({str(planted)!r}, {str(kit / "__init__.py")!r},
                           os.path.join(os.path.dirname(os.getcwd()), "planted.txt"), "/planted"):
                try:
                    with open(target, "a") as stream:
                        stream.write("planted")
                    outcome[target] = "written"
                except OSError as error:
                    outcome[target] = type(error).__name__
            with open("mine.txt", "w") as stream:
                stream.write("scratch is writable")
            outcome["home"] = os.environ["HOME"] == os.getcwd() == tempfile.gettempdir()
            return outcome
    """)
    assert "written" not in got.values() and got.pop("home") is True
    assert not planted.exists()


def test_scratch_is_bounded(jailed, tmp_path):
    got = run(jailed, tmp_path, """
        import errno

        def probe():
            written = 0
            try:
                for number in range(1000):
                    with open(f"fill-{number}", "wb") as stream:
                        for _ in range(4):
                            stream.write(bytes(1 << 20))
                            written += 1 << 20
            except OSError as error:
                return {"written": written, "error": errno.errorcode[error.errno]}
            return {"written": written, "error": None}
    """)
    assert got["error"] in ("ENOSPC", "EFBIG") and got["written"] <= jail.SCRATCH_BYTES


def test_sandboxes_alive_together_each_see_only_their_own_scratch(jailed, tmp_path):
    """Every sandbox mounts its scratch at one path, each in a mount namespace of its own."""
    path = tmp_path / "student.py"
    path.write_text(textwrap.dedent("""
        import os

        def write(name):
            with open(name, "w") as stream:
                stream.write(name)
            return {"cwd": os.getcwd(), "files": sorted(os.listdir("."))}
    """))
    boxes = [jailed.sandbox(path=path, module="student", limits=LIMITS, budget=Budget(60),
                            label=path.name) for _ in range(2)]
    try:
        first = boxes[0].run(call, function="write", args=["first.txt"])
        second = boxes[1].run(call, function="write", args=["second.txt"])
    finally:
        for box in boxes:
            box.discard()
    assert first["cwd"] == second["cwd"]
    assert (first["files"], second["files"]) == (["first.txt"], ["second.txt"])
    assert not any((jailed.workdir / jail.SCRATCH_POINT).iterdir())  # nothing reached the host


def test_sandboxes_run_as_distinct_users_and_a_fork_storm_stops(jailed, tmp_path):
    code = """
        import os

        def probe():
            children = 0
            try:
                for _ in range(1000):
                    pid = os.fork()
                    if pid == 0:
                        import time
                        time.sleep(30)
                        os._exit(0)
                    children += 1
            except OSError:
                pass
            return {"uid": os.getuid(), "children": children}
    """
    first, second = run(jailed, tmp_path, code), run(jailed, tmp_path, code)
    assert 0 not in (first["uid"], second["uid"]) and first["uid"] != second["uid"]
    assert 0 < first["children"] < jail.PROCESSES
    assert second["children"] == first["children"]  # the first one's children are gone


def test_a_double_forked_daemon_dies_with_its_sandbox(jailed, tmp_path):
    mark = f"torchgrade-test-daemon-{uuid.uuid4().hex}"
    run(jailed, tmp_path, f"""
        import subprocess

        def probe():
            subprocess.Popen(["sh", "-c", "while true; do sleep 0.1; done", {mark!r}],
                             start_new_session=True)
            return {{}}
    """)
    deadline = time.monotonic() + 2
    while processes_with(mark.encode()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(mark.encode()) == set()  # gone while the zygote is still alive


READ_THE_ANSWERS = '''

def _solutions():
    import os
    for top, folders, files in os.walk("/"):
        folders[:] = [f for f in folders if f not in ("proc", "sys", "usr", "site-packages")]
        path = os.path.join(top, "my_linear.py")
        if "my_linear.py" in files and "BEGIN SOLUTION" in open(path).read():
            return open(path).read()
    return ""


exec(_solutions())
'''


def test_a_submission_that_runs_the_solutions_it_finds_scores_like_the_stub(tmp_path):
    """The whole command, as root: the answers are nowhere student code can look."""
    submission = make_submission(tmp_path / "thief", {
        "02_my_linear": lambda text: (STUBS / "02_my_linear" / "my_linear.py").read_text()
        + READ_THE_ANSWERS})
    grader = tmp_path / "grader"
    subprocess.run([str(TORCHGRADE), "release", "--grader", str(grader)], check=True,
                   capture_output=True, cwd=ROOT)
    out = tmp_path / "result.json"
    done = subprocess.run([str(TORCHGRADE), "grade", str(submission), "--assignment",
                           "02_my_linear", "--solutions", str(grader / "solutions"),
                           "--json", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    if result["isolation"]["level"] != "jailed":
        pytest.skip(f"sandboxes here are '{result['isolation']['level']}', not 'jailed'")
    [linear] = [a for a in result["assignments"] if a["name"] == "02_my_linear"]
    assert linear["score"] == 0


def test_require_isolation_grades_where_the_level_holds_and_refuses_where_not(tmp_path):
    alice = ROOT / "examples" / "submissions" / "alice"
    no_tools = tmp_path / "bin"  # a machine without unshare or setpriv
    no_tools.mkdir()
    (no_tools / "python").symlink_to(sys.executable)
    refused = subprocess.run([str(TORCHGRADE), "grade", str(alice), "--require-isolation",
                              "contained"], capture_output=True, text=True,
                             env={**os.environ, "PATH": str(no_tools)})
    assert refused.returncode == 2
    assert "--require-isolation contained" in refused.stderr
    assert "level process" in refused.stderr and "Nothing was graded" in refused.stderr
    assert refused.stdout == ""

    out = tmp_path / "alice.json"
    linear = alice / "02_my_linear" / "my_linear.py"
    granted = subprocess.run([str(TORCHGRADE), "grade", str(linear), "--assignment",
                              "02_my_linear", "--require-isolation", "process",
                              "--json", str(out)], capture_output=True, text=True)
    assert granted.returncode == 0, granted.stderr
    assert json.loads(out.read_text())["isolation"]["level"] in jail.LEVELS


def test_sandboxes_share_the_zygotes_control_group_which_goes_with_it(tmp_path):
    with Zygote(workdir=tmp_path) as zygote:
        if not zygote.isolation["cgroup"]:
            pytest.skip(f"no writable cgroup here: {zygote.isolation.get('cgroup_error')}")
        folders = list(zygote._launched.group.folders)
        got = run(zygote, tmp_path, """
            def probe():
                return open("/proc/self/cgroup").read()
        """)
        assert all(folder.name in got for folder in folders)
        assert all((folder / "cgroup.procs").read_text().split() for folder in folders)
    assert not any(folder.exists() for folder in folders)
