"""The ``torchgrade`` command as users run it: real processes, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOLUTIONS, STUBS, running_zygotes
from tests.result_schema import problems

TORCHGRADE = [sys.executable, "-m", "autograder.cli"]


def torchgrade(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TORCHGRADE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_list_names_every_assignment():
    run = torchgrade("list")
    assert run.returncode == 0
    for name in ("01_manual_autograd", "02_my_linear", "03_custom_dataset", "04_collate",
                 "05_training_loop"):
        assert name in run.stdout


def test_grading_the_reference_gives_100_and_a_valid_document(tmp_path):
    run = torchgrade("grade", str(SOLUTIONS), "--json", str(tmp_path / "r.json"))
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert problems(document) == []
    assert (document["score"], document["max_score"]) == (100.0, 100.0)
    assert "100/100" in run.stdout


def test_grading_the_stubs_gives_0_and_fail_under_exits_1(tmp_path):
    run = torchgrade("grade", str(STUBS), "--json", str(tmp_path / "r.json"),
                     "--fail-under", "50", "--seed", "7")
    assert run.returncode == 1, run.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert problems(document) == []
    assert document["score"] == 0.0 and document["seed"] == 7
    statuses = {c["status"] for a in document["assignments"] for c in a["checks"]}
    assert statuses == {"not_implemented"}


def test_a_zip_with_one_top_folder_and_a_single_file(tmp_path):
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        source = SOLUTIONS / "02_my_linear" / "my_linear.py"
        zipped.write(source, "alice/02_my_linear/my_linear.py")
    run = torchgrade("grade", str(archive), "--json", str(tmp_path / "zip.json"))
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "zip.json").read_text())
    assert document["submission"] == "alice"
    by_name = {a["name"]: a for a in document["assignments"]}
    assert by_name["02_my_linear"]["score"] == 20.0
    assert by_name["01_manual_autograd"]["status"] == "missing"

    single = torchgrade("grade", str(STUBS / "04_collate" / "collate.py"), "--assignment",
                        "04_collate", "--json", str(tmp_path / "one.json"))
    assert single.returncode == 0, single.stderr
    document = json.loads((tmp_path / "one.json").read_text())
    assert [a["name"] for a in document["assignments"]] == ["04_collate"]
    assert document["max_score"] == 20.0 and problems(document) == []


@pytest.mark.parametrize("args", [
    ("grade", "does/not/exist"),
    ("grade", str(SOLUTIONS), "--assignment", "99_nope"),
    ("grade", str(SOLUTIONS), "--solutions", "no/such/solutions"),
])
def test_bad_usage_exits_2_with_a_message(args):
    run = torchgrade(*args)
    assert run.returncode == 2
    assert run.stderr.startswith("torchgrade: error:")


def test_check_grades_the_working_copy(tmp_path):
    run = torchgrade("check", "02", "--path", str(STUBS))
    assert run.returncode == 0, run.stderr
    assert "02_my_linear  0/20" in run.stdout
    assert "not implemented yet" in run.stdout


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_the_zygote_launched_early_ends_with_the_command(tmp_path):
    """grade launches its zygote before importing the judge; a usage error still ends it."""
    from autograder.cli import main

    before = running_zygotes()
    assert main(["grade", str(tmp_path / "missing"), "--json", str(tmp_path / "r.json")]) == 2
    assert main(["grade", str(SOLUTIONS / "04_collate" / "collate.py"), "--assignment", "04",
                 "--json", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 20.0
    deadline = time.monotonic() + 5.0  # a killed process takes a moment to unmap torch
    while running_zygotes() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_zygotes() - before == set()
