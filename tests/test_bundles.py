"""The student and grader bundles of ``torchgrade release``: real files, the real CLI.

The bundles are released once per module through ``autograder.cli.main`` and
then inspected file by file. The leak rule is re-derived here from the
solutions themselves rather than imported, so a bug in the release's own
verifier cannot hide a leak from these tests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import __version__
from autograder.cli import main as cli
from autograder.judge.snapshots import PUBLIC_SEED, snapshot_dir
from autograder.registry import discover
from autograder.release import bundles, checks_table, leaks, publish
from autograder.release import main as release
from autograder.release.publish import MANIFEST_NAME
from autograder.release.stubs import BEGIN, END
from tests.conftest import SOLUTIONS, STUBS

ASSIGNMENTS = discover()
MARKERS = (b"BEGIN SOLUTION", b"END SOLUTION")


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both bundles, released once through the command line."""
    root = tmp_path_factory.mktemp("release")
    student, grader = root / "student", root / "grader"
    assert cli(["release", "--student", str(student), "--grader", str(grader)]) == 0
    return {"student": student, "grader": grader}


def tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative POSIX path."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def secret_lines() -> set[str]:
    """Long solution-block lines that the text outside every block does not contain."""
    inside, outside = [], []
    for assignment in ASSIGNMENTS:
        within = False
        for line in (SOLUTIONS / assignment.name / assignment.filename).read_text().splitlines():
            if line.strip() in (BEGIN, END):
                within = line.strip() == BEGIN
            else:
                (inside if within else outside).append(line.strip())
    public = "\n".join(outside)
    return {line for line in inside if len(line) >= 25 and line not in public}


def test_the_student_bundle_holds_no_marker_and_no_solution_line(released):
    secrets = secret_lines()
    assert len(secrets) > 40, "the rule must have solution lines to look for"
    files = tree(released["student"])
    assert len(files) > 20
    for path, data in files.items():
        texts = [data]
        if path.endswith(".ipynb"):  # cells are JSON-escaped in the raw file
            texts.append("".join("".join(cell["source"]) for cell in json.loads(data)["cells"])
                         .encode())
        for text in texts:
            assert not any(marker in text for marker in MARKERS), path
            leaked = [line for line in secrets if line.encode() in text]
            assert not leaked, f"{path} leaks {leaked[:3]}"


def test_the_student_bundle_has_stubs_notebooks_readmes_and_public_snapshots(released):
    student = released["student"]
    for assignment in ASSIGNMENTS:
        folder = student / assignment.name
        assert "NotImplementedError" in (folder / assignment.filename).read_text()
        json.loads((folder / assignment.notebook_filename).read_text())
        readme = (folder / "README.md").read_text()
        for row in checks_table.collect(assignment):
            assert f"| `{row.spec.id.partition('/')[2]}` | {row.spec.points:g} |" in readme
            assert f"### `{row.spec.part}`" in readme
        assert all(hint in readme for hint in assignment.hints) and assignment.hints
        assert f"torchgrade check {assignment.name}\n" in readme
        for name in ("snapshots.json", "snapshots.safetensors"):
            copied = student / "snapshots" / assignment.name / name
            assert copied.read_bytes() == (snapshot_dir(assignment) / name).read_bytes()
        assert json.loads((copied.with_suffix(".json")).read_text())["seed"] == PUBLIC_SEED
    top = (student / "README.md").read_text()
    assert f'pip install "torchgrade=={__version__}"' in top
    assert all(f"[`{a.name}`]({a.name}/README.md)" in top for a in ASSIGNMENTS)
    assert "**100**" in top
    assert not (student / "solutions").exists() and not (student / "grader.json").exists()


def test_two_releases_are_byte_identical(released, tmp_path):
    assert release(student=tmp_path / "student", grader=tmp_path / "grader") == 0
    for kind in ("student", "grader"):
        assert tree(tmp_path / kind) == tree(released[kind]), kind
        for path in (tmp_path / kind).rglob("*"):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o755 if path.is_dir() else 0o644), path


def test_check_grades_the_bundled_stubs_to_zero_from_the_bundled_snapshots(
        released, tmp_path):
    """Plain `torchgrade check` in the bundle's folder finds its files and its snapshots."""
    bundle = shutil.copytree(released["student"], tmp_path / "course")  # check writes caches
    command = [sys.executable, "-m", "autograder.cli", "check"]
    done = subprocess.run(command, cwd=bundle, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "course: 0/100" in out
    rows = [line.split()[0] for line in out.splitlines() if line.startswith("  ")
            and line.split()[0] in ("PASS", "FAIL", "ERR", "TIME", "TODO", "MISS")]
    assert rows == ["TODO"] * sum(len(checks_table.collect(a)) for a in ASSIGNMENTS)
    # The bundle's snapshots are the ones used: 04 solved scores 20 with them, and
    # without the bundle's 04 snapshots it cannot be checked at all.
    shutil.copy(SOLUTIONS / "04_collate" / "collate.py", bundle / "04_collate" / "collate.py")
    done = subprocess.run([*command, "04"], cwd=bundle, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0 and "course: 20/20" in done.stdout, done.stdout + done.stderr
    shutil.rmtree(bundle / "snapshots" / "04_collate")
    done = subprocess.run([*command, "04"], cwd=bundle, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 3 and "04_collate" in done.stderr, done.stderr


def test_a_folder_that_is_not_a_bundle_is_refused(tmp_path, capsys):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my notes\n")
    assert cli(["release", "--student", str(target)]) == 2
    assert "is not a torchgrade bundle" in capsys.readouterr().err
    assert tree(target) == {"notes.txt": b"my notes\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no temp folder left


def test_a_bundle_of_the_other_kind_or_with_foreign_files_is_refused(released, tmp_path,
                                                                     capsys):
    grader = shutil.copytree(released["grader"], tmp_path / "grader")
    assert cli(["release", "--student", str(grader)]) == 2
    assert "holds a torchgrade grader bundle" in capsys.readouterr().err
    student = shutil.copytree(released["student"], tmp_path / "student")
    (student / "01_manual_autograd" / "my_answer.py").write_text("x = 1\n")
    before = tree(student)
    assert cli(["release", "--student", str(student)]) == 2
    assert "01_manual_autograd/my_answer.py" in capsys.readouterr().err
    assert tree(student) == before


def test_re_release_replaces_a_previous_bundle_and_leaves_no_stale_file(tmp_path):
    target = tmp_path / "student"
    assert release(student=target, assignments=ASSIGNMENTS) == 0
    (target / "02_my_linear" / "__pycache__").mkdir()  # left by running the stubs: ignored
    (target / "02_my_linear" / "__pycache__" / "my_linear.cpython-311.pyc").write_bytes(b"x")
    (target / "README.md").write_text("edited by hand\n")  # an edit: replaced only by force
    assert release(student=target, assignments=ASSIGNMENTS[:1], force=True) == 0
    files = tree(target)
    assert {path.split("/")[0] for path in files} == {
        "01_manual_autograd", "snapshots", "README.md", "wheels", ".github", MANIFEST_NAME}
    assert {path.split("/")[1] for path in files if path.startswith("snapshots/")} == {
        "01_manual_autograd"}
    assert files["README.md"] != b"edited by hand\n"
    manifest = json.loads(files[MANIFEST_NAME])
    assert set(manifest["files"]) == set(files) - {MANIFEST_NAME}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student"]  # nothing left beside it


# Per kind of bundle: a file a person would edit, add and delete there.
EDITS = {"student": ("02_my_linear/my_linear.py", "notes.md", "02_my_linear/README.md"),
         "grader": ("solutions/02_my_linear/my_linear.py", "solutions/notes.md", "grader.json")}


def edit(bundle: Path, change: str, kind: str) -> str:
    """Makes ``change`` (modified, added, deleted) to the ``kind`` bundle; returns the path."""
    modified, added, deleted = EDITS[kind]
    if change == "modified":
        with (bundle / modified).open("a") as stream:
            stream.write("    return x @ self.weight.T  # my work\n")
        return modified
    if change == "added":
        (bundle / added).write_text("what I found out\n")
        return added
    (bundle / deleted).unlink()
    return deleted


@pytest.mark.parametrize("kind", ["student", "grader"])
@pytest.mark.parametrize("change", ["modified", "added", "deleted"])
def test_a_bundle_edited_since_it_was_written_is_refused_and_left_as_it_is(
        kind, change, released, tmp_path, capsys):
    bundle = shutil.copytree(released[kind], tmp_path / kind)
    path = edit(bundle, change, kind)
    before = tree(bundle)
    assert cli(["release", f"--{kind}", str(bundle)]) == 2
    err = capsys.readouterr().err
    assert f"{change}: {path}" in err, err
    assert "Move your work elsewhere" in err
    assert ("pass --force" in err) == (change != "added")  # force never deletes what is not ours
    assert tree(bundle) == before  # byte for byte, the edit included
    assert sorted(p.name for p in tmp_path.iterdir()) == [kind]  # no temp folder left


@pytest.mark.parametrize("kind", ["student", "grader"])
@pytest.mark.parametrize("change", ["modified", "deleted"])
def test_force_replaces_an_edited_bundle(kind, change, released, tmp_path):
    bundle = shutil.copytree(released[kind], tmp_path / kind)
    edit(bundle, change, kind)
    assert cli(["release", f"--{kind}", str(bundle), "--force"]) == 0
    assert tree(bundle) == tree(released[kind])


def test_force_never_deletes_a_file_the_bundle_did_not_ship(released, tmp_path, capsys):
    bundle = shutil.copytree(released["student"], tmp_path / "student")
    path = edit(bundle, "added", "student")
    edit(bundle, "modified", "student")
    before = tree(bundle)
    assert cli(["release", "--student", str(bundle), "--force"]) == 2
    err = capsys.readouterr().err
    assert f"added: {path}" in err and "--force never deletes them" in err
    assert "my_linear.py" not in err  # force does cover the edit; only the added file is listed
    assert tree(bundle) == before


@pytest.mark.parametrize("kind", ["student", "grader"])
def test_an_untouched_bundle_is_regenerated_without_force(kind, released, tmp_path):
    bundle = shutil.copytree(released[kind], tmp_path / kind)
    (bundle / "__pycache__").mkdir()  # caches are nobody's work
    (bundle / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"x")
    assert cli(["release", f"--{kind}", str(bundle)]) == 0
    assert tree(bundle) == tree(released[kind])


def test_a_refusal_lists_at_most_ten_changes(tmp_path):
    target = tmp_path / "bundle"
    publish.write(target, "grader", {f"f{i:02}.txt": f"{i}\n" for i in range(15)})
    for i in range(13):
        (target / f"f{i:02}.txt").write_text("edited\n")
    with pytest.raises(publish.BundleError) as refused:
        publish.write(target, "grader", {"other.txt": "x"})
    message = str(refused.value)
    assert "13 file(s) there changed" in message
    assert "modified: f09.txt" in message and "f10.txt" not in message
    assert "... and 3 more" in message
    assert (target / "f00.txt").read_text() == "edited\n"


def test_stubs_written_into_a_bundle_never_overwrite_an_edit(released, tmp_path, capsys):
    """``--stubs`` into a bundle's folder guards what it would overwrite; `assignments/` is free."""
    bundle = shutil.copytree(released["student"], tmp_path / "course")
    assert cli(["release", "--stubs", str(bundle)]) == 0  # untouched: stubs go in
    path = edit(bundle, "modified", "student")
    (bundle / "notes.md").write_text("mine\n")  # not overwritten by stubs, so no obstacle
    before = tree(bundle)
    capsys.readouterr()
    assert cli(["release", "--stubs", str(bundle)]) == 2
    err = capsys.readouterr().err
    assert f"modified: {path}" in err and "notes.md" not in err and "--force" in err
    assert tree(bundle) == before
    assert cli(["release", "--stubs", str(bundle), "--force"]) == 0
    stub = STUBS / "02_my_linear" / "my_linear.py"
    assert (bundle / path).read_bytes() == stub.read_bytes()
    assert (bundle / "notes.md").read_text() == "mine\n"


def test_an_interrupted_release_leaves_the_previous_bundle_whole(released, tmp_path,
                                                                 monkeypatch):
    target = shutil.copytree(released["grader"], tmp_path / "grader")
    before = tree(target)
    write_file, written = publish._write_file, []

    def crash_after_three(root: Path, relative: str, content: bytes) -> None:
        if len(written) == 3:
            raise KeyboardInterrupt  # the machine going down, as far as this process knows
        written.append(relative)
        write_file(root, relative, content)

    monkeypatch.setattr(publish, "_write_file", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        release(grader=target)
    assert tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grader"]  # staging cleaned up


def test_the_grader_bundle_has_solutions_checks_and_a_config_whose_digests_match(released):
    grader = released["grader"]
    files = tree(grader)
    for assignment in ASSIGNMENTS:
        solution = files[f"solutions/{assignment.name}/{assignment.filename}"]
        assert solution == (SOLUTIONS / assignment.name / assignment.filename).read_bytes()
        assert BEGIN.encode() in solution
        checks = assignment.checks_path.parent
        for name in ("checks.py", "scenarios.py"):
            assert files[f"checks/{assignment.name}/{name}"] == (checks / name).read_bytes()
        notebook = json.loads(files[f"nbgrader/source/{assignment.name}/"
                                    f"{assignment.notebook_filename}"])
        assert any(BEGIN in "".join(cell["source"]) for cell in notebook["cells"])
    catalogue = SOLUTIONS.parent / "tests" / "catalogue"
    for kind in ("mistakes", "alternatives"):  # the catalogue travels with the solutions
        for path in sorted((catalogue / kind).glob("[!_]*.py")):
            assert files[f"catalogue/{kind}/{path.name}"] == path.read_bytes()
    assert not any(path.startswith("catalogue/") for path in tree(released["student"]))
    config = json.loads(files["grader.json"])
    assert config["schema"] == bundles.GRADER_SCHEMA
    assert config["torchgrade_version"] == __version__
    assert set(config["files"]) == set(files) - {"grader.json", MANIFEST_NAME}
    for path, digest in config["files"].items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    manifest = json.loads(files[MANIFEST_NAME])
    assert manifest["bundle"] == "grader"
    assert manifest["files"] == {path: hashlib.sha256(data).hexdigest()
                                 for path, data in files.items() if path != MANIFEST_NAME}
    for entry, assignment in zip(config["assignments"], ASSIGNMENTS, strict=True):
        specs = [row.spec for row in checks_table.collect(assignment)]
        assert entry["name"] == assignment.name and entry["points"] == assignment.points
        assert entry["checks"] == [{"id": s.id, "points": s.points, "visibility": s.visibility,
                                    "part": s.part} for s in specs]
        assert sum(check["points"] for check in entry["checks"]) == assignment.points
    assert "--solutions solutions" in files["README.md"].decode()


def test_check_mode_reports_a_stale_bundle_and_writes_nothing(released, tmp_path, capsys):
    grader = shutil.copytree(released["grader"], tmp_path / "grader")
    assert cli(["release", "--grader", str(grader), "--check"]) == 0
    (grader / "solutions" / "04_collate" / "collate.py").write_text("edited\n")
    capsys.readouterr()
    assert cli(["release", "--grader", str(grader), "--check"]) == 1
    assert "collate.py (differs" in capsys.readouterr().out
    assert (grader / "solutions" / "04_collate" / "collate.py").read_text() == "edited\n"


@pytest.mark.parametrize("sabotage", ["verbatim", "markers_stripped"])
def test_a_leaking_step_is_caught_before_anything_is_written(
        sabotage, released, tmp_path, monkeypatch, capsys):
    solutions = shutil.copytree(SOLUTIONS, tmp_path / "solutions",
                                ignore=shutil.ignore_patterns("__pycache__"))
    target = shutil.copytree(released["student"], tmp_path / "course")  # a previous bundle
    before = tree(target)

    def stubs(sources: bundles.Sources) -> bundles.Files:
        """The stub step, broken: one 'stub' is the solution itself."""
        files = bundles.stubs(sources)
        leaked = ASSIGNMENTS[1]
        text = (sources.solutions / leaked.name / leaked.filename).read_text()
        if sabotage == "markers_stripped":
            text = "".join(line for line in text.splitlines(keepends=True)
                           if line.strip() not in (BEGIN, END))
        files[f"{leaked.name}/{leaked.filename}"] = text
        return files

    monkeypatch.setattr(bundles, "STUDENT_STEPS", (stubs, *bundles.STUDENT_STEPS[1:]))
    assert cli(["release", "--student", str(target), "--solutions", str(solutions)]) == 2
    err = capsys.readouterr().err
    assert "would leak the solution" in err and "02_my_linear/my_linear.py" in err
    assert ("marker text" in err) == (sabotage == "verbatim")
    assert tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course", "solutions"]


def test_the_verifier_reads_notebook_cells_and_snapshot_seeds():
    secret = 'self.register_buffer("mean", torch.zeros(3))'
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": [secret]}]})
    assert '\\"mean\\"' in notebook  # escaped: the raw text alone would not show it
    with pytest.raises(leaks.LeakError, match="x.ipynb: a line of a solution block"):
        leaks.verify_student({"x.ipynb": notebook}, secrets=frozenset({secret}))
    with pytest.raises(leaks.LeakError, match="a grading seed"):
        leaks.verify_student({"snapshots/a/snapshots.json": json.dumps({"seed": 1234})},
                             secrets=frozenset())
    leaks.verify_student({"snapshots/a/snapshots.json": json.dumps({"seed": PUBLIC_SEED}),
                          "a/README.md": "short lines only\n"}, secrets=frozenset({secret}))


def test_the_committed_assignments_folder_has_a_readme_per_assignment():
    for assignment in ASSIGNMENTS:
        readme = (STUBS / assignment.name / "README.md").read_text()
        assert f"torchgrade check {assignment.name}\n" in readme
