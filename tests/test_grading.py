"""Grading a batch end to end: the reference, the stubs and hostile submissions.

One batch, graded once for the module, holds every submission these tests
look at, as a classroom batch would: a crash, exit or hang in one file must
cost that file's points only, and nothing a submission does may forge a score.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from autograder.results import SubmissionResult
from autograder.sandbox.client import Limits
from tests.conftest import (
    SOLUTIONS,
    STUBS,
    grade_folders,
    make_submission,
    prepend,
    processes_with,
)

LIMITS = Limits(call_seconds=3.0, load_seconds=3.0, after_timeout_seconds=0.5)

WRONG_FORWARD = '''

def _zeros_forward(self, x):
    return x.new_zeros(*x.shape[:-1], self.weight.shape[0])


MyLinear.forward = _zeros_forward
'''

FORGERY = '''
import builtins, json, sys
import torch, torch.testing
import pytest, _pytest.python, _pytest.runner
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
pytest.fail = lambda *args, **kwargs: None
_pytest.python.Function.runtest = lambda self: None
_pytest.runner.pytest_runtest_makereport = lambda item, call: None
print(json.dumps({"schema": "torchgrade.result/1", "score": 100.0, "status": "passed"}))
with open("results.json", "w") as fake:
    json.dump({"score": 100.0}, fake)
'''

DAEMON_MARK = f"torchgrade-test-daemon-{uuid.uuid4().hex}"
DAEMON = f'''
import subprocess
import time
subprocess.Popen(["sh", "-c", "while true; do sleep 0.1; done", "{DAEMON_MARK}"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)  # alive long enough for the watch to see it, however fast the checks run
'''


def daemons() -> set[int]:
    """The pids of this machine's processes that carry the daemon's mark."""
    return processes_with(DAEMON_MARK.encode())


class Watch(threading.Thread):
    """Looks for the daemon every 20 ms while the batch runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.seen = self.seen or bool(daemons())


def appended(code):
    return lambda text: text + code


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grades all submissions of this module in one batch; returns results by label."""
    root = tmp_path_factory.mktemp("batch")
    folders = {
        "reference": SOLUTIONS,
        "stubs": STUBS,
        "broken": make_submission(root / "broken", {
            "03_custom_dataset": lambda text: text.replace("def __len__(self)", "def __len__(self"),
            "04_collate": prepend("import os\nos._exit(0)"),
            "05_training_loop": appended(
                "\n\ndef train_one_epoch(*args, **kwargs):\n    while True:\n        pass\n"),
        }),
        "stuck": make_submission(root / "stuck", {
            "01_manual_autograd": appended("\nwhile True:\n    pass\n")}),
        "honest_wrong": make_submission(root / "honest_wrong", {
            "02_my_linear": appended(WRONG_FORWARD)}),
        "forger": make_submission(root / "forger", {
            "01_manual_autograd": appended(FORGERY),
            "02_my_linear": appended(FORGERY + WRONG_FORWARD)}),
        "daemon": make_submission(root / "daemon", {
            "03_custom_dataset": appended(DAEMON)}),
        "partial": make_submission(root / "partial", drop=("02_my_linear", "04_collate")),
    }
    watch = Watch()
    watch.start()
    try:
        results, elapsed = grade_folders(folders, root / "work", seed=12345, limits=LIMITS)
    finally:
        watch.done.set()
        watch.join()
    return {"results": results, "elapsed": elapsed, "daemon_seen": watch.seen}


def scores(result: SubmissionResult) -> dict[str, tuple[str, float]]:
    return {a.name: (a.status, a.score) for a in result.assignments}


def test_reference_scores_full_marks(batch):
    result = batch["results"]["reference"]
    assert (result.score, result.max_score) == (100.0, 100.0)
    assert all(c.status == "passed" for a in result.assignments for c in a.checks)


def test_stubs_score_zero_with_every_check_not_implemented(batch):
    result = batch["results"]["stubs"]
    assert result.score == 0.0
    statuses = {c.status for a in result.assignments for c in a.checks}
    assert statuses == {"not_implemented"}


def test_each_broken_file_costs_only_its_own_assignment(batch):
    result = batch["results"]["broken"]
    got = scores(result)
    assert got["01_manual_autograd"] == ("graded", 20.0)
    assert got["02_my_linear"] == ("graded", 20.0)
    assert got["03_custom_dataset"] == ("error", 0.0)
    assert got["04_collate"] == ("error", 0.0)
    assert got["05_training_loop"][0] == "graded" and got["05_training_loop"][1] < 20.0
    messages = {a.name: a.message for a in result.assignments}
    assert "line" in messages["03_custom_dataset"] and "syntax" in messages["03_custom_dataset"]
    assert "os._exit()" in messages["04_collate"] and "`os._exit(0)`" in messages["04_collate"]
    loops = [c for c in result.assignments[4].checks if c.status == "timeout"]
    assert loops and "train_one_epoch" in loops[0].feedback


def test_a_hang_at_import_is_an_error_and_the_batch_ends_in_time(batch):
    got = scores(batch["results"]["stuck"])
    assert got["01_manual_autograd"] == ("error", 0.0)
    assert all(got[name] == ("graded", 20.0) for name in got if name != "01_manual_autograd")
    message = batch["results"]["stuck"].assignments[0].message
    assert "did not finish within 3 s" in message
    # One import hang (3 s) and one call hang (3 s, then 0.5 s per later call)
    # bound the batch; without limits it would never end.
    assert batch["elapsed"] < 90


def test_forging_a_score_earns_only_what_the_data_earns(batch):
    honest, forger = batch["results"]["honest_wrong"], batch["results"]["forger"]
    assert scores(forger)["01_manual_autograd"] == ("graded", 20.0)
    honest_linear, forged_linear = honest.assignments[1], forger.assignments[1]
    assert forged_linear.score == honest_linear.score < 20.0
    assert [c.status for c in forged_linear.checks] == [c.status for c in honest_linear.checks]


def test_processes_started_by_student_code_die_with_the_batch(batch):
    assert scores(batch["results"]["daemon"])["03_custom_dataset"] == ("graded", 20.0)
    assert batch["daemon_seen"], "the daemon never ran, so this test proves nothing"
    if not batch["results"]["daemon"].isolation.get("process_sweep"):
        pytest.skip("no PID namespace on this OS: stray processes are not swept")
    time.sleep(0.2)
    assert daemons() == set()


def test_missing_files_score_zero_with_a_clear_message(batch):
    result = batch["results"]["partial"]
    got = scores(result)
    assert got["02_my_linear"] == ("missing", 0.0) and got["04_collate"] == ("missing", 0.0)
    assert result.score == 60.0
    missing = result.assignments[1]
    assert "my_linear.py" in missing.message
    assert {c.status for c in missing.checks} == {"missing"}


def test_results_record_seed_and_isolation(batch):
    result = batch["results"]["reference"]
    assert result.seed == 12345
    assert {"network_disabled", "process_sweep", "memory_cap"} <= set(result.isolation)


def test_installed_pytest_plugins_stay_out_of_the_grading_session():
    """A plugin installed for the instructor's own tests (coverage, reordering, ...) does not
    join the session that grades; the environment is left as it was."""
    import importlib.metadata
    import subprocess
    import sys
    import textwrap

    installed = {entry.value.split(":")[0]
                 for entry in importlib.metadata.entry_points(group="pytest11")}
    if not installed:
        pytest.skip("no pytest plugin is installed here to keep out")
    code = textwrap.dedent(f"""
        import os, sys, tempfile
        from pathlib import Path
        from autograder.intake.submission import open_submission
        from autograder.judge.reference import Solutions
        from autograder.judge.session import GradingOptions, grade_batch
        from autograder.registry import select
        chosen = select(["02_my_linear"])
        with tempfile.TemporaryDirectory() as work:
            opened = open_submission(Path({str(SOLUTIONS)!r}), assignments=chosen,
                                     workdir=Path(work))
            [result] = grade_batch([opened], assignments=chosen, options=GradingOptions(
                reference=Solutions(Path({str(SOLUTIONS)!r})), seed=3))
        print(result.score, sorted(m for m in {sorted(installed)!r} if m in sys.modules),
              "PYTEST_DISABLE_PLUGIN_AUTOLOAD" in os.environ)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False,
                         env={k: v for k, v in os.environ.items()
                              if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["20.0", "[]", "False"]
