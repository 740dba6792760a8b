"""A whole class in one command: results saved as they come, nothing lost, shards merge.

Every test runs ``torchgrade grade CLASS --out DIR`` as an instructor would,
in a real process, on a real class folder: correct work, two catalogued
mistakes, the stubs and a damaged zip. The uninterrupted run, graded once
for the module, is what the other runs must reproduce byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOLUTIONS, STUBS, make_submission, replace, running_zygotes

TORCHGRADE = [sys.executable, "-m", "autograder.cli"]
SEED = "4242"


def torchgrade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TORCHGRADE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class folder: five correct, two mistakes, the stubs, and a damaged zip."""
    root = tmp_path_factory.mktemp("class") / "hw1"
    root.mkdir()
    for name in ("ada", "bo", "cy", "dee", "eli"):
        make_submission(root / name)
    make_submission(root / "fay", {"04_collate": replace(
        "torch.arange(max_len, device=device) < lengths",
        "torch.arange(max_len, device=device) >= lengths")})
    make_submission(root / "gus", {"01_manual_autograd": replace(
        "(grad_y_pred @ w2.T) * (h > 0)", "(grad_y_pred @ w2.T)")})
    (root / "hal").mkdir()
    for folder in STUBS.iterdir():
        if folder.is_dir():
            (root / "hal" / folder.name).mkdir()
            for stub in folder.glob("*.py"):
                (root / "hal" / folder.name / stub.name).write_bytes(stub.read_bytes())
    (root / "ivy.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    return root


@pytest.fixture(scope="module")
def uninterrupted(klass: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "out"
    run = torchgrade("grade", str(klass), "--out", str(out), "--seed", SEED, "--jobs", "1")
    assert run.returncode == 0, run.stderr
    return out


def rows(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "gradebook.csv").read_text()
    return {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_student_gets_one_row_with_their_status(uninterrupted: Path) -> None:
    book = rows(uninterrupted)
    assert sorted(book) == ["ada", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy"]
    for name in ("ada", "bo", "cy", "dee", "eli"):
        assert (book[name]["status"], book[name]["total"]) == ("graded", "100")
    assert book["fay"]["04_collate"] != "20" and book["fay"]["01_manual_autograd"] == "20"
    assert book["gus"]["01_manual_autograd"] != "20" and book["gus"]["total"] != "100"
    assert book["hal"]["total"] == "0"
    assert book["ivy"]["status"] == "error" and "zip" in book["ivy"]["message"]
    saved = sorted(p.name for p in (uninterrupted / "results").iterdir())
    assert saved == [f"{name}.json" for name in sorted(book)]
    document = json.loads((uninterrupted / "results" / "fay.json").read_text())
    assert document["schema"] == "torchgrade.result/1" and document["seed"] == int(SEED)
    assert document["isolation"]["level"] in ("jailed", "contained", "process")
    unusable = json.loads((uninterrupted / "results" / "ivy.json").read_text())
    assert unusable["isolation"] == {"level": "none"}  # no code of it ever ran


def test_a_rerun_keeps_what_is_graded_and_regrades_what_changed(
        klass: Path, uninterrupted: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = torchgrade("grade", str(klass), "--out", str(out), "--seed", SEED)
    assert first.returncode == 0, first.stderr
    again = torchgrade("grade", str(klass), "--out", str(out))  # the seed is remembered
    assert again.returncode == 0, again.stderr
    assert "Graded 1 of 9" in again.stdout  # only the unusable zip is looked at again
    assert "8 unchanged since the last run were kept" in again.stdout
    assert (out / "gradebook.csv").read_bytes() == (uninterrupted / "gradebook.csv").read_bytes()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_kill_9_part_way_then_a_rerun_gives_the_same_gradebook(
        klass: Path, uninterrupted: Path, tmp_path: Path, jobs: str) -> None:
    out = tmp_path / "out"
    before = running_zygotes()
    process = subprocess.Popen([*TORCHGRADE, "grade", str(klass), "--out", str(out),
                                "--seed", SEED, "--jobs", jobs], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if len(list((out / "results").glob("*.json"))) >= 3:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the batch finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = list((out / "results").glob("*.json"))
    assert 3 <= len(partial) < 9 and not (out / "gradebook.csv").exists()
    for path in partial:
        json.loads(path.read_text())  # every file there is whole
    deadline = time.monotonic() + 10
    while running_zygotes() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running_zygotes() - before == set(), "a zygote outlived the killed batch"
    rerun = torchgrade("grade", str(klass), "--out", str(out), "--jobs", jobs)
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "gradebook.csv").read_bytes() == (uninterrupted / "gradebook.csv").read_bytes()
    assert sorted(p.name for p in (out / "results").iterdir()) == sorted(
        p.name for p in (uninterrupted / "results").iterdir())  # no duplicates, no leftovers


def test_shards_merged_equal_the_whole_class(klass: Path, uninterrupted: Path,
                                             tmp_path: Path) -> None:
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    for k, folder in enumerate(shards, start=1):
        run = torchgrade("grade", str(klass), "--out", str(folder), "--seed", SEED,
                         "--shard", f"{k}/3", "--jobs", "1")
        assert run.returncode == 0, run.stderr
    sizes = [len(rows(folder)) for folder in shards]
    assert sum(sizes) == 9 and all(sizes)
    merged = torchgrade("merge", *map(str, shards), "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stderr
    assert ((tmp_path / "merged" / "gradebook.csv").read_bytes()
            == (uninterrupted / "gradebook.csv").read_bytes())


def test_a_shard_without_a_seed_and_a_bad_out_folder_are_usage_errors(
        klass: Path, tmp_path: Path) -> None:
    run = torchgrade("grade", str(klass), "--out", str(tmp_path / "o"), "--shard", "1/2")
    assert run.returncode == 2 and "--shard needs --seed" in run.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.tex").write_text("mine")
    run = torchgrade("grade", str(klass), "--out", str(tmp_path / "busy"))
    assert run.returncode == 2 and "holds other files" in run.stderr
    assert (tmp_path / "busy" / "thesis.tex").read_text() == "mine"


def test_one_entry_point_grades_for_every_command() -> None:
    """check, grade, demo, validate, notebook cells and snapshot recording share one engine."""
    callers = {path.relative_to(ROOT).as_posix()
               for path in (ROOT / "autograder").rglob("*.py")
               if "grade_batch(" in path.read_text()}
    assert callers == {"autograder/judge/session.py", "autograder/judge/engine.py",
                       "autograder/judge/pool.py"}
    for command in ("check.py", "grade.py", "demo.py", "validate.py", "cells.py",
                    "release/snapshots.py", "batch.py"):
        assert "from autograder.judge.engine import" in (ROOT / "autograder" / command
                                                          ).read_text(), command


def test_the_pool_grades_like_one_process(klass: Path, uninterrupted: Path,
                                          tmp_path: Path) -> None:
    run = torchgrade("grade", str(klass), "--out", str(tmp_path / "o"), "--seed", SEED,
                     "--jobs", "2")
    assert run.returncode == 0, run.stderr
    assert ((tmp_path / "o" / "gradebook.csv").read_bytes()
            == (uninterrupted / "gradebook.csv").read_bytes())
    assert SOLUTIONS.is_dir()
