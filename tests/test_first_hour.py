"""A student's and an instructor's first hour: wrong folders, typos, help and honest output.

Real bundles on disk, the real command in real processes; nothing here is
graded for points except one ``check`` run from inside an assignment folder.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import layout
from autograder.cli import main as cli
from autograder.registry import discover
from autograder.release import bundles, publish
from autograder.results import write_json
from tests.conftest import SOLUTIONS, STUBS

TORCHGRADE = [sys.executable, "-m", "autograder.cli"]
ASSIGNMENTS = discover()


def torchgrade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TORCHGRADE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student bundle as ``release --student`` writes it: stubs, snapshots, manifest."""
    sources = bundles.Sources(solutions=SOLUTIONS, assignments=ASSIGNMENTS)
    steps = (bundles.stubs, bundles.notebooks, bundles.assignment_readmes, bundles.snapshots,
             bundles.top_readme)
    folder = tmp_path_factory.mktemp("bundles") / "course"
    publish.write(folder, "student", bundles.run_steps(steps, sources))
    return folder


def test_check_inside_an_assignment_folder_finds_the_bundle(student_bundle: Path) -> None:
    run = torchgrade("check", "02_my_linear", cwd=student_bundle / "02_my_linear")
    assert run.returncode == 0, run.stderr
    assert "course: 0/20" in run.stdout and "02_my_linear  0/20" in run.stdout
    assert "not implemented yet" in run.stdout
    # check has no --seed option, so it does not tell the student to use one.
    assert "--seed" not in run.stdout
    assert run.stdout.rstrip().endswith("(the public inputs: the same in every `torchgrade "
                                        "check`; your instructor's `torchgrade grade` draws "
                                        "fresh ones)")


def test_the_working_copy_is_looked_for_upwards(student_bundle: Path, tmp_path: Path) -> None:
    inner = student_bundle / "02_my_linear"
    assert layout.working_copy(inner, ASSIGNMENTS) == student_bundle.resolve()
    assert layout.working_copy(student_bundle, ASSIGNMENTS) == student_bundle.resolve()
    assert layout.working_copy(STUBS / "04_collate", ASSIGNMENTS) == STUBS.resolve()
    assert layout.bundle_root(inner, "student") == student_bundle.resolve()
    assert layout.grader_bundle(inner) is None
    with pytest.raises(layout.LayoutError, match="Run `torchgrade check` in the folder that "
                                                 "holds them"):
        layout.working_copy(tmp_path, ASSIGNMENTS)


def test_check_where_there_is_nothing_says_where_to_run_from(tmp_path: Path) -> None:
    run = torchgrade("check", cwd=tmp_path)
    assert run.returncode == 2
    assert f"no assignment folders (01_manual_autograd/, 02_my_linear/, ...) in {tmp_path}" \
        in run.stderr
    assert "top folder of your student bundle" in run.stderr and "--path DIR" in run.stderr
    assert "assignments does not exist" not in run.stderr


def test_a_file_graded_as_another_assignment_is_refused_with_its_own(
        student_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    my_linear = student_bundle / "02_my_linear" / "my_linear.py"
    assert cli(["grade", str(my_linear), "--assignment", "03"]) == 2
    err = capsys.readouterr().err
    assert "my_linear.py is the file of 02_my_linear, not of 03_custom_dataset" in err
    assert "--assignment 02" in err and "rename it custom_dataset.py" in err


@pytest.mark.parametrize("args", [
    ["check", "02_my_lnear"],
    ["check", "mylinear", "--path", str(STUBS)],
    ["grade", str(SOLUTIONS / "02_my_linear" / "my_linear.py"), "--assignment", "my_linaer"],
])
def test_a_misspelt_assignment_gets_a_did_you_mean(
        args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(args) == 2
    err = capsys.readouterr().err
    assert "unknown assignment" in err and "Did you mean 02_my_linear?" in err
    assert 'error: "unknown' not in err  # the message, not a KeyError's repr


@pytest.mark.parametrize(("command", "fragments"), [
    (["grade"], ["a submission (a folder, a .zip of one, or one .py/.ipynb", "--solutions DIR",
                 "the grader bundle you are in, else the course repository's solutions/"]),
    (["demo"], ["--seed SEED", "reproduce a run (default: a fresh seed"]),
    (["validate"], ["--solutions DIR", "the grader bundle you are in",
                    "catalogue/ of the grader bundle"]),
    (["release"], ["--solutions DIR", "the grader bundle you are in"]),
])
def test_help_explains_arguments_and_defaults(command: list[str], fragments: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli([*command, "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    for fragment in fragments:
        assert fragment in text, fragment


def test_json_into_a_missing_folder_is_refused_before_grading(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results" / "alice.json"
    code = cli(["grade", str(SOLUTIONS / "04_collate" / "collate.py"), "--json", str(target)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"the folder {tmp_path / 'results'} does not exist" in err
    assert "nothing was graded" in err
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_result_files_get_ordinary_modes(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        write_json(tmp_path / "r.json", {"score": 1.0})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no temporary left
