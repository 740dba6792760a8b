"""torchgrade grades exactly the submitted source and writes nothing into a submission.

SPEC §2: bytecode caches in a submission are ignored, and grading leaves the
submitted folder as it found it. A stale ``__pycache__`` that the stock
importer would trust must not stand in for the text, and grading a folder
(scripts or notebooks, in-process, through the CLI or from a notebook's test
cell) must leave every byte and mode of it unchanged, even when the folder
cannot be written at all. Real sandboxes throughout, no mocks.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import py_compile
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import cli
from autograder.cells import PartGrade, grade_part
from autograder.registry import Assignment
from autograder.release.notebooks import render_source_notebooks
from autograder.results import SubmissionResult
from autograder.sandbox.client import Budget, Limits, Zygote
from autograder.sandbox.errors import SandboxFailure
from autograder.sandbox.generic import call
from tests.conftest import SOLUTIONS, grade_folders, make_submission

TRAINING = "05_training_loop"
CALLED = "        optimizer.zero_grad()\n"
FORGOTTEN = "        optimizer.zero_grad  \n"  # the call's parentheses forgotten: same size
LIMITS = Limits(call_seconds=5.0, load_seconds=5.0)

# Exits with this code when the folder it was given can be written after all.
_READ_ONLY_GRADE = """
import sys
from pathlib import Path
try:
    (Path(sys.argv[1]) / "probe.txt").write_text("written")
except OSError:
    pass
else:
    sys.exit(97)
from autograder.cli import main
sys.exit(main(sys.argv[2:]))
"""
_NOT_READ_ONLY = 97


def tree(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every path under ``root`` (itself included): its mode, and its bytes or link target."""
    found: dict[str, tuple[int, bytes | str | None]] = {".": (os.lstat(root).st_mode, None)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            mode = os.lstat(path).st_mode
            content: bytes | str | None = None
            if stat.S_ISLNK(mode):
                content = os.readlink(path)
            elif stat.S_ISREG(mode):
                content = path.read_bytes()
            found[path.relative_to(root).as_posix()] = (mode, content)
    return found


def without_caches(folder: Path) -> Path:
    """``folder`` with any ``__pycache__`` removed (a copy of solutions/ may bring one)."""
    for cache in sorted(folder.rglob("__pycache__")):
        shutil.rmtree(cache)
    return folder


def forgotten_zero_grad(text: str) -> str:
    assert text.count(CALLED) == 1 and len(CALLED) == len(FORGOTTEN)
    return text.replace(CALLED, FORGOTTEN)


def training_only(folder: Path, text: str) -> Path:
    """A submission holding only ``05_training_loop/training_loop.py`` with ``text``."""
    (folder / TRAINING).mkdir(parents=True)
    path = folder / TRAINING / "training_loop.py"
    path.write_text(text)
    return path


def scores(result: SubmissionResult, name: str) -> list[tuple[str, str, float]]:
    [graded] = [a for a in result.assignments if a.name == name]
    assert graded.status == "graded", graded.message
    return [(check.id, check.status, check.points) for check in graded.checks]


def solved_notebooks(folder: Path, assignments: tuple[Assignment, ...]) -> Path:
    """A submission of every assignment as a solved notebook, no ``.py`` at all."""
    sources = render_source_notebooks(solutions=SOLUTIONS, assignments=assignments)
    for assignment in assignments:
        path = folder / assignment.name / assignment.notebook_filename
        path.parent.mkdir(parents=True)
        path.write_text(sources[f"{assignment.name}/{assignment.notebook_filename}"])
    return folder


def test_a_stale_bytecode_cache_changes_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    correct = (SOLUTIONS / TRAINING / "training_loop.py").read_text()
    wrong = forgotten_zero_grad(correct)
    plain = training_only(tmp_path / "plain", wrong)
    shadowed = training_only(tmp_path / "shadowed", correct)
    # The cache of the correct code, then the mistake with the same size and mtime.
    monkeypatch.setattr(sys, "pycache_prefix", None)  # the sandbox runs with no prefix
    cache = Path(importlib.util.cache_from_source(str(shadowed)))
    py_compile.compile(str(shadowed), cfile=str(cache), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    written = shadowed.stat()
    shadowed.write_text(wrong)
    os.utime(shadowed, ns=(written.st_atime_ns, written.st_mtime_ns))
    assert shadowed.stat().st_size == written.st_size
    # The stock importer would run the correct code from the cache: the trap is armed.
    loader = importlib.machinery.SourceFileLoader("training_loop_probe", str(shadowed))
    stale = loader.get_code("training_loop_probe")
    assert stale == compile(correct, str(shadowed), "exec", dont_inherit=True)
    assert stale != compile(wrong, str(shadowed), "exec", dont_inherit=True)
    before = tree(tmp_path / "shadowed")

    results, _ = grade_folders({"plain": tmp_path / "plain", "shadowed": tmp_path / "shadowed"},
                               tmp_path / "work", seed=20240605, limits=LIMITS)

    mistake = scores(results["plain"], TRAINING)
    assert any(status != "passed" for _, status, _ in mistake)  # the mistake costs points
    assert scores(results["shadowed"], TRAINING) == mistake
    assert tree(tmp_path / "shadowed") == before
    assert not (plain.parent / "__pycache__").exists()


GRADED = """\
def todo():
    raise NotImplementedError("write me")

def divide():
    return 1 / 0

def spin():
    while True:
        pass
"""
ON_DISK_LATER = """\
def todo():
    return "changed after loading"

def divide():
    return "changed after loading"

def spin():
    return "changed after loading"
"""


def test_feedback_quotes_the_graded_text_not_the_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "student.py"
    path.write_text(GRADED)
    limits = Limits(call_seconds=1.0, load_seconds=5.0)
    (tmp_path / "zygote").mkdir()
    with Zygote(workdir=tmp_path / "zygote") as zygote:
        box = zygote.sandbox(path=path, module="student", limits=limits, budget=Budget(30),
                             label=path.name)
        path.write_text(ON_DISK_LATER)  # the loaded text is what is graded and quoted
        failures = {}
        for function in ("todo", "divide", "spin"):
            with pytest.raises(SandboxFailure) as caught:
                box.run(call, function=function)
            failures[function] = caught.value
        box.discard()
    assert failures["todo"].status == "not_implemented"
    assert "line 5 of student.py, in divide: `return 1 / 0`" in failures["divide"].feedback
    assert 'line 2, in todo\n    raise NotImplementedError("write me")' in (
        failures["todo"].detail)
    assert failures["spin"].status == "timeout"
    assert any(f"line {where} of student.py, in spin: `{code}`" in failures["spin"].feedback
               for where, code in ((8, "while True:"), (9, "pass")))
    assert not (tmp_path / "__pycache__").exists()


def test_grading_scripts_leaves_the_folder_byte_identical(tmp_path: Path) -> None:
    folder = without_caches(make_submission(tmp_path / "scripts",
                                            {TRAINING: forgotten_zero_grad}))
    (folder / "notes.txt").write_text("my own notes\n")
    os.chmod(folder / "02_my_linear" / "my_linear.py", 0o640)
    before = tree(folder)

    results, _ = grade_folders({"scripts": folder}, tmp_path / "work", seed=7, limits=LIMITS)

    assert results["scripts"].score < results["scripts"].max_score
    assert tree(folder) == before
    assert not list(folder.rglob("__pycache__"))


def test_grading_notebooks_leaves_the_folder_byte_identical(
        tmp_path: Path, assignments: tuple[Assignment, ...]) -> None:
    folder = solved_notebooks(tmp_path / "notebooks", assignments)
    before = tree(folder)

    results, _ = grade_folders({"notebooks": folder}, tmp_path / "work", seed=7, limits=LIMITS)
    assert results["notebooks"].score == results["notebooks"].max_score == 100
    assert tree(folder) == before

    [linear] = [a for a in assignments if a.name == "02_my_linear"]
    cell = grade_part(linear.name, None, path=folder / linear.name / linear.notebook_filename)
    assert isinstance(cell, PartGrade)  # a test cell grades a copy, never the folder
    assert tree(folder) == before
    assert not list(folder.rglob("__pycache__"))


def test_torchgrade_grade_leaves_folders_and_zips_byte_identical(
        tmp_path: Path, assignments: tuple[Assignment, ...],
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = without_caches(make_submission(tmp_path / "mixed" / "submission",
                                            {TRAINING: forgotten_zero_grad}))
    [collate] = [a for a in assignments if a.name == "04_collate"]
    (folder / collate.name / collate.filename).unlink()
    solved_notebooks(tmp_path / "solved", (collate,))
    shutil.copy(tmp_path / "solved" / collate.name / collate.notebook_filename,
                folder / collate.name)
    with zipfile.ZipFile(tmp_path / "mixed" / "submission.zip", "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder.parent).as_posix())
    before = tree(tmp_path / "mixed")

    for graded in (folder, tmp_path / "mixed" / "submission.zip"):
        out = tmp_path / f"{graded.name}.json"
        assert cli.main(["grade", str(graded), "--json", str(out), "--seed", "11"]) == 0
        result = json.loads(out.read_text())
        by_name = {a["name"]: a for a in result["assignments"]}
        assert result["status"] == "graded" and result["score"] < 100
        assert by_name[collate.name]["score"] == 20  # graded from the notebook
    capsys.readouterr()

    assert tree(tmp_path / "mixed") == before
    assert not list((tmp_path / "mixed").rglob("__pycache__"))


def _read_only_prefix(folder: Path) -> list[str]:
    """A command prefix under which ``folder`` is read-only for root too, or []."""
    tool = shutil.which("unshare")
    if tool is None:
        return []
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    prefix = [tool, "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
              str(folder)]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else []


def test_a_read_only_submission_grades_normally(tmp_path: Path) -> None:
    folder = without_caches(make_submission(tmp_path / "read-only",
                                            {TRAINING: forgotten_zero_grad}))
    writable = without_caches(make_submission(tmp_path / "writable",
                                              {TRAINING: forgotten_zero_grad}))
    before = tree(folder)
    out = tmp_path / "result.json"
    command = [sys.executable, "-c", _READ_ONLY_GRADE, str(folder),
               "grade", str(folder), "--json", str(out), "--seed", "5"]
    if os.geteuid() != 0:
        for path in (folder, *folder.rglob("*")):
            path.chmod(path.stat().st_mode & ~0o222)
        prefix: list[str] = []
    else:
        prefix = _read_only_prefix(folder)
        if not prefix:
            pytest.skip("running as root, and this OS allows no read-only bind mount "
                        "(unshare --user --mount); the byte-identical tests still guard "
                        "against writes")
    try:
        finished = subprocess.run([*prefix, *command], capture_output=True, text=True,
                                  cwd=tmp_path, timeout=300)
    finally:
        for key, (mode, _) in before.items():  # as it was, for the checks below
            if not stat.S_ISLNK(mode):
                (folder / key).chmod(stat.S_IMODE(mode))
    assert finished.returncode != _NOT_READ_ONLY, "the folder was writable after all"
    assert finished.returncode == 0, finished.stderr[-3000:]

    results, _ = grade_folders({"writable": writable}, tmp_path / "work", seed=5,
                               limits=LIMITS)
    got = json.loads(out.read_text())
    expected = results["writable"]
    assert got["status"] == "graded" and got["score"] == expected.score < 100
    assert [(a["name"], [(c["id"], c["status"], c["points"]) for c in a["checks"]])
            for a in got["assignments"]] == [
        (a.name, scores(expected, a.name)) for a in expected.assignments]
    assert tree(folder) == before
