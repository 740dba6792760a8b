"""Public snapshots: recorded from the reference, answered from files, kept in sync.

``torchgrade check`` runs where no reference solution exists, so its expected
values come from the snapshots the release recorded for the public seed. The
tests record for real (grading the reference), answer from the recorded
files for real, and run the command as a student would, with no
``solutions/`` anywhere.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch

from autograder.intake.submission import open_submission
from autograder.judge.reference import GraderError, SnapshotReference, Snapshots, Solutions
from autograder.judge.session import GradingOptions, grade_batch
from autograder.judge.snapshots import (
    JSON_NAME,
    PUBLIC_SEED,
    RECORD_COMMAND,
    Recording,
    SnapshotError,
    SnapshotStore,
    encode_snapshots,
)
from autograder.registry import discover
from autograder.release import snapshots
from autograder.results import SubmissionResult
from autograder.sandbox.perturb import PERTURBATIONS, Perturbation
from tests.conftest import ROOT, SOLUTIONS, STUBS, make_submission, replace

ASSIGNMENTS = discover()
MY_LINEAR = next(a for a in ASSIGNMENTS if a.name == "02_my_linear")
MANUAL = next(a for a in ASSIGNMENTS if a.name == "01_manual_autograd")


@pytest.fixture(scope="module")
def recorded() -> snapshots.Answers:
    """The reference's answers for the public seed, recorded afresh."""
    return snapshots.record(solutions=SOLUTIONS, assignments=ASSIGNMENTS)


def test_recording_twice_gives_identical_bytes(recorded):
    again = snapshots.record(solutions=SOLUTIONS, assignments=ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        assert recorded[assignment.name], f"{assignment.name}: no reference answer recorded"
        assert (encode_snapshots(assignment, recorded[assignment.name])
                == encode_snapshots(assignment, again[assignment.name])), assignment.name


def test_committed_snapshots_are_in_sync(recorded):
    problems = snapshots.stale(recorded, assignments=ASSIGNMENTS)
    assert problems == [], ("the committed public snapshots are stale; re-record them with "
                            f"`{RECORD_COMMAND}`:\n" + "\n".join(problems))


def test_stale_snapshots_are_reported(recorded, tmp_path, capsys):
    answers = {MY_LINEAR.name: dict(recorded[MY_LINEAR.name])}
    snapshots.write(answers, assignments=[MY_LINEAR], root=tmp_path)
    assert snapshots.stale(answers, assignments=[MY_LINEAR], root=tmp_path) == []
    dropped = dict(answers[MY_LINEAR.name])
    dropped.pop(sorted(dropped)[0])
    snapshots.write({MY_LINEAR.name: dropped}, assignments=[MY_LINEAR], root=tmp_path)
    [problem] = snapshots.stale(answers, assignments=[MY_LINEAR], root=tmp_path)
    assert "1 question(s) it has no answer for" in problem
    changed = {key: Recording(value.inputs, _nudged(value.answer))
               for key, value in answers[MY_LINEAR.name].items()}
    snapshots.write({MY_LINEAR.name: changed}, assignments=[MY_LINEAR], root=tmp_path)
    [problem] = snapshots.stale(answers, assignments=[MY_LINEAR], root=tmp_path)
    assert "an answer changed" in problem
    assert snapshots.stale(answers, assignments=[MANUAL], root=tmp_path)[0].count(
        RECORD_COMMAND) == 1  # no files at all for this one


def _nudged(value: Any) -> Any:
    """``value`` with every floating-point tensor moved well beyond the tolerances."""
    if isinstance(value, dict):
        return {k: _nudged(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_nudged(v) for v in value)
    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.device.type \
            != "meta":
        return value.detach() + 1.0
    return value


def test_answers_round_trip_through_the_files_strictly(tmp_path):
    answer = {"weights": torch.arange(6.0, dtype=torch.float64).reshape(2, 3).requires_grad_(),
              "mask": torch.tensor([True, False]), "empty": torch.zeros(0, 4),
              "meta": torch.empty(3, device="meta"), "loss": math.nan,
              "pair": (1, [2.5, "x", None]), "nested": {"a": {"b": torch.tensor(7)}}}
    inputs = {"x": torch.linspace(0, 1, 5), "n": 3}
    write_store(tmp_path, {"k1": Recording(inputs, answer), "k2": Recording({}, {"only": 1})})
    store = SnapshotStore.load(MY_LINEAR, root=tmp_path)
    found = store.get("k1")
    assert found is not None and set(found.answer) == set(answer)
    got = found.answer
    assert type(got["weights"]) is torch.Tensor and got["weights"].requires_grad
    torch.testing.assert_close(got["weights"], answer["weights"])
    assert got["mask"].tolist() == [True, False] and got["empty"].shape == (0, 4)
    assert got["meta"].device.type == "meta" and math.isnan(got["loss"])
    assert got["pair"] == (1, [2.5, "x", None]) and int(got["nested"]["a"]["b"]) == 7
    assert torch.equal(found.inputs["x"], inputs["x"]) and found.inputs["n"] == 3
    assert store.get("k2") == Recording({}, {"only": 1}) and store.get("k3") is None
    text = (tmp_path / MY_LINEAR.name / JSON_NAME).read_text()
    (tmp_path / MY_LINEAR.name / JSON_NAME).write_text(text.replace('"float64"', '"float32"'))
    with pytest.raises(SnapshotError, match="malformed"):
        SnapshotStore.load(MY_LINEAR, root=tmp_path).get("k1")


def write_store(root: Path, recordings: dict[str, Recording]) -> None:
    document, tensors = encode_snapshots(MY_LINEAR, recordings)
    (root / MY_LINEAR.name).mkdir(parents=True)
    (root / MY_LINEAR.name / JSON_NAME).write_bytes(document)
    (root / MY_LINEAR.name / "snapshots.safetensors").write_bytes(tensors)


def test_answers_are_found_by_position_on_inputs_equal_to_within_rounding(tmp_path):
    x = torch.randn(4, 3, dtype=torch.float32, generator=torch.Generator().manual_seed(1))
    write_store(tmp_path, {"k1": Recording({"x": x, "n": 2}, {"out": 1})})
    source = SnapshotReference(load=lambda a: SnapshotStore.load(a, root=tmp_path))
    eps = torch.finfo(torch.float32).eps
    assert source.answer(MY_LINEAR, write_store, {"x": x, "n": 2}, "k1") == {"out": 1}
    # Another CPU's kernels draw the same inputs to within an ulp or two.
    assert source.answer(MY_LINEAR, write_store, {"x": x * (1 + 2 * eps), "n": 2},
                         "k1") == {"out": 1}
    for changed in ({"x": x * (1 + 1e-3), "n": 2}, {"x": x, "n": 3}, {"x": x}):
        with pytest.raises(GraderError, match="stale") as raised:
            source.answer(MY_LINEAR, write_store, changed, "k1")
        assert RECORD_COMMAND in str(raised.value)


def test_a_missing_answer_says_the_snapshots_are_stale_and_how_to_record(tmp_path):
    write_store(tmp_path, {"k1": Recording({}, {"out": 1})})
    source = SnapshotReference(load=lambda a: SnapshotStore.load(a, root=tmp_path))
    assert source.answer(MY_LINEAR, write_store, {}, "k1") == {"out": 1}
    with pytest.raises(GraderError, match="stale") as raised:
        source.answer(MY_LINEAR, write_store, {}, "k2")
    assert RECORD_COMMAND in str(raised.value)
    with pytest.raises(GraderError, match="no public snapshots") as raised:
        source.answer(MANUAL, write_store, {}, "k1")
    assert RECORD_COMMAND in str(raised.value)


@pytest.mark.parametrize("perturbation", PERTURBATIONS, ids=lambda p: p.name)
def test_committed_snapshots_hold_for_a_perturbed_reference(perturbation: Perturbation,
                                                            tmp_path: Path) -> None:
    """The reference, perturbed as another machine perturbs it, passes against the files."""
    with tempfile.TemporaryDirectory() as work:
        opened = open_submission(SOLUTIONS, assignments=ASSIGNMENTS, workdir=Path(work))
        [result] = grade_batch([opened], assignments=ASSIGNMENTS, options=GradingOptions(
            reference=Snapshots(), seed=PUBLIC_SEED, perturbation=perturbation))
    lost = [f"{c.id}: {c.feedback}" for a in result.assignments for c in a.checks
            if c.status != "passed"]
    assert result.score == 100.0, lost


def test_check_holds_where_the_judge_draws_inputs_with_other_kernels():
    """Generic CPU kernels draw float32 normals that differ from this CPU's in the last bits.

    The snapshots are found by position and accept inputs equal to within
    rounding, so ``check`` gives the reference full marks there too.
    """
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "--path",
                          str(SOLUTIONS)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "100/100" in run.stdout, run.stdout[-3000:]


def test_check_needs_no_solutions(tmp_path):
    """A student's install: the package alone, no ``solutions/`` beside or below it."""
    package = tmp_path / "install"
    shutil.copytree(ROOT / "autograder", package / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    reference_copy = shutil.copytree(SOLUTIONS, tmp_path / "work" / "assignments")
    stubs = check_run(package, STUBS)
    assert stubs.returncode == 0, stubs.stderr
    assert "0/100" in stubs.stdout and "not implemented yet" in stubs.stdout
    full = check_run(package, reference_copy)
    assert full.returncode == 0, full.stderr
    assert "100/100" in full.stdout


def check_run(package: Path, working_copy: Path) -> subprocess.CompletedProcess[str]:
    script = ("import sys, autograder, autograder.layout as layout\n"
              f"assert autograder.__file__.startswith({str(package)!r}), autograder.__file__\n"
              "assert not (layout.ROOT / 'solutions').exists()\n"
              "from autograder.cli import main\n"
              f"sys.exit(main(['check', '--path', {str(working_copy)!r}]))\n")
    env = {**os.environ, "PYTHONPATH": str(package)}
    return subprocess.run([sys.executable, "-c", script], cwd=package, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_hard_coded_public_answer_earns_nothing_under_grade(tmp_path):
    store = SnapshotStore.load(MANUAL)
    [public] = [value.answer["loss"] for value in store.recordings().values()
                if isinstance(value.answer, dict) and set(value.answer) == {"loss"}]
    cheat = (f"    return torch.tensor(float.fromhex({float(public).hex()!r}), "
             "dtype=torch.float64)\n")
    folder = make_submission(tmp_path / "cheat", {MANUAL.name: replace(
        "    return (y_pred - y).pow(2).sum()\n", cheat)})
    checked = grade_one(folder, GradingOptions(reference=Snapshots(), seed=PUBLIC_SEED))
    graded = grade_one(folder, GradingOptions(reference=Solutions(SOLUTIONS), seed=2024))
    assert status_of(checked, "sse_loss") == "passed"
    assert status_of(graded, "sse_loss") == "failed"
    assert graded.score < checked.score


def grade_one(folder: Path, options: GradingOptions) -> SubmissionResult:
    with tempfile.TemporaryDirectory() as work:
        opened = open_submission(folder, assignments=[MANUAL], workdir=Path(work))
        [result] = grade_batch([opened], assignments=[MANUAL], options=options)
    return result


def status_of(result: SubmissionResult, check: str) -> str:
    [found] = [c.status for a in result.assignments for c in a.checks
               if c.id == f"{MANUAL.name}/{check}"]
    return found


def test_check_without_snapshots_stops_with_the_command_to_record(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "check", "02", "--path",
                          str(SOLUTIONS), "--snapshots", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 3
    assert "no public snapshots for 02_my_linear" in run.stderr
    assert RECORD_COMMAND in run.stderr and "Traceback" not in run.stderr
