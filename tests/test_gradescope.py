"""The Gradescope autograder as Gradescope runs it: the real .zip, run in an /autograder-like tree.

``run_autograder`` runs with the torchgrade of this checkout's virtualenv on
PATH instead of running ``setup.sh``, which needs the network; ``setup.sh``
is checked as shell. Every ``results.json`` is validated against a JSON
schema written from Gradescope's "Autograder Specifications", section
"Output format" (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autograder import __version__
from autograder.platforms.gradescope import to_gradescope
from autograder.platforms.gradescope.run import Layout, SetupError, check_setup, run
from autograder.platforms.gradescope.run import main as run_main
from autograder.results import AssignmentResult, CheckResult, SubmissionResult
from tests.conftest import ROOT, SOLUTIONS, STUBS, make_submission

TORCHGRADE = [sys.executable, "-m", "autograder.cli"]
VENV_BIN = Path(sys.executable).parent

_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_NUMBER = {"type": "number"}
_TEXT = {"type": "string"}
GRADESCOPE_TEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": _NUMBER, "max_score": _NUMBER, "status": {"enum": ["passed", "failed"]},
        "name": _TEXT, "name_format": _FORMAT, "number": _TEXT, "output": _TEXT,
        "output_format": _FORMAT, "tags": {"type": "array", "items": _TEXT},
        "visibility": _VISIBILITY, "extra_data": {"type": "object"},
    },
    # What torchgrade promises to fill in, of the optional fields.
    "required": ["score", "max_score", "status", "name", "number", "output", "visibility"],
}
GRADESCOPE_RESULTS = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": _NUMBER, "execution_time": {"type": "number", "minimum": 0},
        "output": _TEXT, "output_format": _FORMAT, "test_output_format": _FORMAT,
        "test_name_format": _FORMAT, "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY, "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": GRADESCOPE_TEST},
        "leaderboard": {"type": "array", "items": {
            "type": "object", "required": ["name", "value"],
            "properties": {"name": _TEXT, "order": {"enum": ["asc", "desc"]}}}},
    },
    "required": ["score", "execution_time", "output", "output_format", "tests"],
}


def problems(document: Any) -> list[str]:
    """Every way ``document`` departs from Gradescope's format and torchgrade's use of it."""
    jsonschema.Draft7Validator.check_schema(GRADESCOPE_RESULTS)
    found = [f"{'/'.join(map(str, error.path))}: {error.message}"
             for error in jsonschema.Draft7Validator(GRADESCOPE_RESULTS).iter_errors(document)]
    if found:
        return found
    if document["output_format"] != "md":
        found.append("the summary is not Markdown")
    tests = document["tests"]
    if tests and abs(document["score"] - sum(t["score"] for t in tests)) > 1e-6:
        found.append("score is not the sum of the tests' scores")
    for test in tests:
        if not 0 <= test["score"] <= test["max_score"]:
            found.append(f"{test['number']}: score outside 0..max_score")
        if (test["status"] == "passed") != (test["score"] == test["max_score"] > 0):
            found.append(f"{test['number']}: status {test['status']} with {test['score']} "
                         f"of {test['max_score']}")
    if len({t["number"] for t in tests}) != len(tests):
        found.append("two tests share a number")
    return found


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    run = subprocess.run([*TORCHGRADE, "gradescope", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "wrote the Gradescope autograder" in run.stdout
    return out


def unpack(autograder_zip: Path, root: Path, submission: Path | None) -> Path:
    """``root`` laid out as Gradescope's ``/autograder`` once it has built the image."""
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    script = root / "run_autograder"
    shutil.copy(root / "source" / "run_autograder", script)
    script.chmod(0o755)
    if submission is None:
        (root / "submission").mkdir()
    else:
        shutil.copytree(submission, root / "submission")
    return root


def run_autograder(root: Path, **environment: str) -> tuple[dict[str, Any], str]:
    """Runs ``run_autograder`` in ``root``; its results.json, validated, and its output."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
           "TORCHGRADE_AUTOGRADER_ROOT": str(root), **environment}
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert problems(document) == [], document
    return document, run.stdout + run.stderr


def run_in_process(root: Path) -> tuple[dict[str, Any], str]:
    """What ``run_autograder`` runs, here in-process: its results.json, validated, and its log."""
    log = io.StringIO()
    assert run(layout=Layout(root=root, source=root / "source"), out=log) == 0
    document = json.loads((root / "results" / "results.json").read_text())
    assert problems(document) == [], document
    return document, log.getvalue()


def checks(root: Path) -> dict[str, int]:
    """How many checks each assignment has, by the grader bundle's ``grader.json``."""
    config = json.loads((root / "source" / "grader" / "grader.json").read_text())
    return {a["name"]: len(a["checks"]) for a in config["assignments"]}


def test_the_zip_holds_what_gradescope_runs(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        wheel_name = f"wheels/torchgrade-{__version__}-py3-none-any.whl"
        wheel = zipfile.ZipFile(archive.open(wheel_name))
        grader = json.loads(archive.read("grader/grader.json"))
    for script in ("setup.sh", "run_autograder"):  # at the root, executable
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    assert {"README.md", "grader/MANIFEST.torchgrade",
            "grader/solutions/02_my_linear/my_linear.py"} <= set(infos)
    assert grader["torchgrade_version"] == __version__
    assert [a["name"] for a in grader["assignments"]] == [
        "01_manual_autograd", "02_my_linear", "03_custom_dataset", "04_collate",
        "05_training_loop"]
    assert {"autograder/platforms/gradescope/run.py",
            "autograder/templates/gradescope/run_autograder.j2"} <= set(wheel.namelist())


def test_setup_sh_is_shell_that_installs_cpu_torch_then_the_wheel(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        syntax = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True,
                                text=True)
        assert syntax.returncode == 0, syntax.stderr
    setup = (tmp_path / "setup.sh").read_text()
    installs = [line for line in setup.splitlines() if re.search(r"\bpip install\b", line)]
    assert len(installs) == 2, installs
    assert '"torch==' in installs[0]
    assert installs[0].endswith("--index-url https://download.pytorch.org/whl/cpu")
    assert f"wheels/torchgrade-{__version__}-py3-none-any.whl" in installs[1]
    assert "-c " in installs[1]  # the torch just installed is pinned: never a CUDA build
    # The set-up check it ends with passes on this install (and exits 1 otherwise, below).
    good = subprocess.run([sys.executable, "-m", "autograder.platforms.gradescope.run",
                           "--check-setup", "--source", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert "set up to grade 01_manual_autograd" in good.stdout


def test_setup_refuses_an_edited_bundle_or_one_from_another_release(autograder_zip, tmp_path,
                                                                     capsys):
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(tmp_path)
    solution = tmp_path / "grader" / "solutions" / "02_my_linear" / "my_linear.py"
    original = solution.read_bytes()
    solution.write_bytes(original + b"\n# edited by hand\n")
    with pytest.raises(SetupError, match="changed or removed since it was released: "
                                         "solutions/02_my_linear/my_linear.py;"):
        check_setup(tmp_path / "grader")
    assert run_main(["--check-setup", "--source", str(tmp_path)]) == 1  # setup.sh stops
    assert "not set up correctly" in capsys.readouterr().err
    solution.write_bytes(original)
    # A bundle from another checkout, consistent in itself: its checks differ from these.
    config = tmp_path / "grader" / "grader.json"
    document = json.loads(config.read_text())
    checks = tmp_path / "grader" / "checks" / "02_my_linear" / "checks.py"
    checks.write_text(checks.read_text() + "\n# another release\n")
    document["files"]["checks/02_my_linear/checks.py"] = hashlib.sha256(
        checks.read_bytes()).hexdigest()
    config.write_text(json.dumps(document))
    with pytest.raises(SetupError) as refused:
        check_setup(tmp_path / "grader")
    assert "installed checks differ from the grader bundle's copies: " \
           "checks/02_my_linear/checks.py" in str(refused.value)
    config.write_text(config.read_text().replace(f'"{__version__}"', '"0.0.0-other"'))
    with pytest.raises(SetupError, match="released with torchgrade 0.0.0-other, but "):
        check_setup(tmp_path / "grader")


def test_the_reference_solutions_score_full_marks(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", SOLUTIONS)
    document, output = run_autograder(root)
    assert document["score"] == 100.0 and len(document["tests"]) == sum(checks(root).values())
    assert all(t["status"] == "passed" and t["visibility"] == "visible"
               for t in document["tests"])
    assert "**100/100**" in document["output"]
    assert document["tests"][0]["number"] == "1.1"
    assert {t["number"].split(".")[0] for t in document["tests"]} == {"1", "2", "3", "4", "5"}
    assert "score 100" in output  # the instructor's log


def test_the_stubs_score_zero_with_what_to_implement(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", STUBS)
    document, _ = run_autograder(root)
    assert document["score"] == 0.0 and len(document["tests"]) == sum(checks(root).values())
    assert all(t["status"] == "failed" for t in document["tests"])
    assert all("not implemented yet" in t["output"] for t in document["tests"])
    linear = checks(root)["02_my_linear"]
    assert f"| `02_my_linear` | 0/20 | 0/{linear} | graded |" in document["output"]


def test_a_crashing_submission_still_gets_a_result(autograder_zip, tmp_path):
    crashing = make_submission(tmp_path / "crash", {
        "02_my_linear": "import os\nos._exit(3)\n",
        "01_manual_autograd": lambda text: text + (  # a segmentation fault when called
            "\nimport ctypes\n\ndef sse_loss(y_pred, y):\n    return ctypes.string_at(0)\n"),
    })
    root = unpack(autograder_zip, tmp_path / "autograder", crashing)
    document, output = run_autograder(root)
    tests = {t["number"]: t for t in document["tests"]}
    linear = [t for number, t in tests.items() if number.startswith("2.")]
    assert linear and all(t["status"] == "failed" and t["score"] == 0 for t in linear)
    assert "os._exit()" in linear[0]["output"]
    loss = next(t for t in document["tests"] if t["name"].startswith("sse_loss"))
    assert loss["status"] == "failed" and loss["output"]
    assert all(t["status"] == "passed" for number, t in tests.items()
               if number[0] in "345")
    assert 60.0 <= document["score"] < 80.0
    count = checks(root)["02_my_linear"]
    assert f"| `02_my_linear` | 0/20 | 0/{count} | error |" in document["output"]
    assert "Traceback" not in json.dumps(document)  # tracebacks are for the instructor's log


def test_a_submission_with_nothing_to_grade_scores_zero_with_what_to_upload(
        autograder_zip, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "answers.txt").write_text("I did my best\n")
    root = unpack(autograder_zip, tmp_path / "autograder", notes)
    document, _ = run_in_process(root)  # nothing to start up
    assert document["score"] == 0.0 and document["tests"] == []
    assert "Nothing to grade" in document["output"]
    assert "Upload your assignment files" in document["output"]
    assert "| `05_training_loop` | 0/20 | 0/0 | error |" in document["output"]


def test_a_grader_that_cannot_run_still_writes_results(autograder_zip, tmp_path):
    root = unpack(autograder_zip, tmp_path / "autograder", SOLUTIONS)
    (root / "source" / "grader" / "solutions" / "03_custom_dataset" / "custom_dataset.py"
     ).unlink()
    document, log = run_in_process(root)
    assert document["score"] == 0.0 and document["tests"] == []
    assert "not set up correctly" in document["output"]
    assert "not your fault" in document["output"]
    assert "solutions/03_custom_dataset/custom_dataset.py" in log  # for the instructor

    # Python itself fails to start: the script's own fallback is valid too.
    document, output = run_autograder(root, TORCHGRADE_PYTHON="false")
    assert document["score"] == 0.0 and "could not start torchgrade" in document["output"]
    assert "writing a score of 0" in output


def test_one_assignment_per_autograder_and_never_over_someone_elses_file(tmp_path, capsys):
    from autograder.cli import main as torchgrade

    out = tmp_path / "hw2.zip"
    assert torchgrade(["gradescope", str(out), "--assignment", "02", "--torch", "torch>=2.2"]
                      ) == 0
    with zipfile.ZipFile(out) as archive:
        grader = json.loads(archive.read("grader/grader.json"))
        setup = archive.read("setup.sh").decode()
        names = archive.namelist()
    assert [a["name"] for a in grader["assignments"]] == ["02_my_linear"]
    assert not any(name.startswith("grader/solutions/01_") for name in names)
    assert '"torch>=2.2" --index-url https://download.pytorch.org/whl/cpu' in setup
    assert "worth 20 points" in capsys.readouterr().out
    first = out.read_bytes()  # an earlier autograder is replaced
    assert torchgrade(["gradescope", str(out), "--assignment", "02", "--torch", "torch>=2.2"]
                      ) == 0
    with zipfile.ZipFile(out) as archive:  # the wheel and checks: the checkout as it is now
        assert archive.namelist() == names and archive.read("setup.sh").decode() == setup

    notes = tmp_path / "notes.zip"
    notes.write_bytes(first[:100])  # not an autograder torchgrade wrote
    for target in (notes, tmp_path / "autograder.tar"):
        assert torchgrade(["gradescope", str(target)]) == 2
        assert "torchgrade: error:" in capsys.readouterr().err
    assert notes.read_bytes() == first[:100]


def test_hidden_checks_show_after_the_due_date_and_stay_out_of_the_summary():
    def check(name: str, status: str, visibility: str) -> CheckResult:
        return CheckResult(id=f"02_my_linear/{name}", name=f"{name} works",
                           points=3.0 if status == "passed" else 0.0, max_points=3.0,
                           status=status, visibility=visibility, feedback=f"{name}: feedback")

    result = SubmissionResult(submission="alice", seed=7, version=__version__, assignments=(
        AssignmentResult(name="02_my_linear", status="graded", max_score=9.0, checks=(
            check("shape", "passed", "public"), check("init", "failed", "public"),
            check("secret", "passed", "hidden"))),))
    document = to_gradescope(result, seconds=2.4)
    assert problems(document) == []
    assert document["score"] == 6.0 and document["execution_time"] == 2
    visibility = {t["name"]: t["visibility"] for t in document["tests"]}
    assert visibility == {"shape works": "visible", "init works": "visible",
                          "secret works": "after_due_date"}
    assert [t["number"] for t in document["tests"]] == ["2.1", "2.2", "2.3"]
    assert "| `02_my_linear` | 3/6 | 1/2 | graded |" in document["output"]
    assert "1 hidden check(s), worth 3 point(s)" in document["output"]
    assert "secret" not in document["output"]
