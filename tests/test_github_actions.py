"""The GitHub Actions workflows: valid for GitHub, and their commands do what they say.

Each workflow is validated against GitHub's workflow schema (SchemaStore's
``github-workflow.json``, stored in ``tests/fixtures/github/`` with its
origin). Then its ``run:`` steps are run here, in order, the way a runner
runs them (``bash -eo pipefail``, ``$GITHUB_STEP_SUMMARY`` and
``$GITHUB_ENV`` as files, ``if: always()`` steps after a failure), with
``torchgrade`` from this checkout's environment standing in for the install
step and local folders for the clones, which need the network.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from autograder.cli import main as cli
from autograder.registry import discover
from autograder.release import wheel, workflows
from autograder.results.model import SCHEMA
from tests.conftest import ROOT, SOLUTIONS

ASSIGNMENTS = discover()
FIXTURES = ROOT / "tests" / "fixtures" / "github"
EXAMPLE = ROOT / "docs" / "github-actions" / workflows.EXAMPLE_NAME
BIN = Path(sys.executable).parent
"""Where this checkout's ``torchgrade`` is: it stands in for the wheel the workflows install."""


class WorkflowLoader(yaml.SafeLoader):
    """YAML as GitHub reads it: ``on`` is a key, not the boolean YAML 1.1 makes of it."""


WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def load(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=WorkflowLoader)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((FIXTURES / "github-workflow.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student bundle, released once through the command line."""
    bundle = tmp_path_factory.mktemp("github") / "student"
    assert cli(["release", "--student", str(bundle)]) == 0
    return bundle


def only_job(workflow: Mapping[str, Any]) -> dict[str, Any]:
    [job] = workflow["jobs"].values()
    return dict(job)


def step(workflow: Mapping[str, Any], step_id: str) -> dict[str, Any]:
    [found] = [s for s in only_job(workflow)["steps"] if s.get("id") == step_id]
    return dict(found)


def uses(workflow: Mapping[str, Any], action: str) -> dict[str, Any]:
    [found] = [s for s in only_job(workflow)["steps"] if s.get("uses", "").startswith(action)]
    return dict(found)


def run_steps(workflow: Mapping[str, Any], ids: list[str], *, cwd: Path, work: Path,
              given: Mapping[str, str] = {}) -> dict[str, subprocess.CompletedProcess[str]]:
    """Runs the ``run:`` steps named by ``ids``, in the workflow's order, as a runner would.

    Args:
        given: The values of the step ``env`` entries that are expressions
            (``${{ secrets.X }}``), by variable name.

    Returns:
        Each step's completed process; steps skipped after a failure are absent.
    """
    work.mkdir(parents=True, exist_ok=True)
    summary, github_env = work / "step_summary.md", work / "github_env"
    summary.touch()
    github_env.touch()
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
                   "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ENV": str(github_env),
                   "RUNNER_TEMP": str(work / "runner-temp"), "CI": "true"}
    (work / "runner-temp").mkdir(exist_ok=True)
    environment.update({k: str(v) for k, v in workflow.get("env", {}).items()})
    environment.update({k: str(v) for k, v in only_job(workflow).get("env", {}).items()})
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    failed = False
    for entry in only_job(workflow)["steps"]:
        if entry.get("id") not in ids or (failed and entry.get("if") != "always()"):
            continue
        variables = {name: given[name] if "${{" in str(value) else str(value)
                     for name, value in entry.get("env", {}).items()}
        for line in github_env.read_text().splitlines():
            name, _, value = line.partition("=")
            environment[name] = value
        done[entry["id"]] = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", entry["run"]],
            cwd=cwd, env={**environment, **variables}, capture_output=True, text=True,
            timeout=600)
        failed = failed or done[entry["id"]].returncode != 0
    return done


def artifact_paths(workflow: Mapping[str, Any]) -> list[str]:
    return [line.strip() for line in uses(workflow, "actions/upload-artifact@")["with"]["path"]
            .splitlines() if line.strip()]


# --- both workflows --------------------------------------------------------------------


def test_both_workflows_are_valid_for_github(student, validator):
    shipped = (student / workflows.STUDENT_PATH).read_text()
    assert shipped == workflows.student_workflow()
    for text in (shipped, workflows.instructor_workflow()):
        document = load(text)
        assert [error.message for error in validator.iter_errors(document)] == []
        broken = json.loads(json.dumps(document))  # the schema does reject a broken one
        next(iter(broken["jobs"].values())).pop("runs-on")
        assert list(validator.iter_errors(broken))


def test_the_committed_example_is_what_the_template_renders(capsys):
    assert EXAMPLE.read_text() == workflows.instructor_workflow()
    assert cli(["release", "--workflows", str(EXAMPLE.parent), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


# --- the student's workflow ------------------------------------------------------------


def test_the_student_workflow_installs_from_the_bundle_and_says_it_is_advisory(student):
    workflow = load((student / workflows.STUDENT_PATH).read_text())
    assert "advisory" in workflow["name"] and "advisory" in only_job(workflow)["name"]
    assert "push" in workflow["on"] and workflow["permissions"] == {"contents": "read"}
    setup = uses(workflow, "actions/setup-python@")["with"]
    assert setup["cache"] == "pip"
    assert (student / setup["cache-dependency-path"]).is_file()  # the bundle's wheel
    install = step(workflow, "install")["run"]
    torch_pin = workflows.torch_requirement()
    assert re.fullmatch(r"torch==\d+\.\d+\.\d+", torch_pin)
    assert f'pip install "{torch_pin}" --index-url {workflows.TORCH_INDEX}\n' in install
    assert f"pip install ./{wheel.bundle_path()}\n" in install
    assert (student / wheel.bundle_path()).is_file()
    assert step(workflow, "summary")["if"] == "always()"
    assert "Advisory" in step(workflow, "summary")["run"]
    upload = uses(workflow, "actions/upload-artifact@")
    assert upload["uses"] == "actions/upload-artifact@v4" and upload["if"] == "always()"


def test_the_student_workflow_checks_and_reports_a_score_table(student, tmp_path):
    workflow = load((student / workflows.STUDENT_PATH).read_text())
    repository = shutil.copytree(student, tmp_path / "repository")
    solved = ASSIGNMENTS[3]  # a student who has done 04_collate so far
    shutil.copy(SOLUTIONS / solved.name / solved.filename,
                repository / solved.name / solved.filename)
    done = run_steps(workflow, ["check", "summary"], cwd=repository, work=tmp_path / "runner")
    assert done["check"].returncode == 0, done["check"].stdout + done["check"].stderr
    assert done["summary"].returncode == 0, done["summary"].stderr
    summary = (tmp_path / "runner" / "step_summary.md").read_text()
    assert summary.startswith("> [!NOTE]\n> **Advisory.**")
    assert "| Assignment | Score | Checks passed | Status |" in summary
    for assignment in ASSIGNMENTS:
        score = "20/20" if assignment is solved else "0/20"
        assert re.search(rf"^\| `{assignment.name}` \| {score} \| \d+/\d+ \| graded \|$",
                         summary, re.M), assignment.name
    assert re.search(r"^\| \*\*Total\*\* \| \*\*20/100\*\* \|", summary, re.M)
    [folder] = artifact_paths(workflow)
    out = repository / folder
    result = json.loads((out / "result.json").read_text())
    assert result["schema"] == SCHEMA and (result["score"], result["max_score"]) == (20, 100)
    assert {a["name"]: a["score"] for a in result["assignments"]} == {
        a.name: 20 if a is solved else 0 for a in ASSIGNMENTS}
    assert len(list((out / "html").glob("*.html"))) == 1
    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    assert sum(1 for _ in cases) == sum(len(a["checks"]) for a in result["assignments"])


def test_when_check_fails_the_summary_says_so(student, tmp_path):
    workflow = load((student / workflows.STUDENT_PATH).read_text())
    repository = shutil.copytree(student, tmp_path / "repository")
    solved = ASSIGNMENTS[3]  # 04 solved, but its snapshots gone: check cannot grade it
    shutil.copy(SOLUTIONS / solved.name / solved.filename,
                repository / solved.name / solved.filename)
    shutil.rmtree(repository / "snapshots" / solved.name)
    done = run_steps(workflow, ["check", "summary"], cwd=repository, work=tmp_path / "runner")
    assert done["check"].returncode == 3 and solved.name in done["check"].stderr
    assert done["summary"].returncode == 0  # `if: always()`: the summary still explains
    summary = (tmp_path / "runner" / "step_summary.md").read_text()
    assert "**Advisory.**" in summary and "torchgrade check gave no result" in summary


# --- the instructor's workflow ---------------------------------------------------------


def test_the_instructor_workflow_grades_on_a_schedule_with_the_bundle_in_a_secret():
    workflow = load(workflows.instructor_workflow())
    assert workflow["on"]["schedule"] == [{"cron": workflows.CRON}]
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    unpack = step(workflow, "unpack")
    assert unpack["env"] == {
        "TORCHGRADE_GRADER_BUNDLE": "${{ secrets.TORCHGRADE_GRADER_BUNDLE }}"}
    clone = step(workflow, "clone")
    assert "gh classroom clone student-repos" in clone["run"]
    assert clone["env"]["GH_TOKEN"] == "${{ secrets.TORCHGRADE_CLASSROOM_TOKEN }}"
    assert step(workflow, "grade")["run"] == (
        'torchgrade grade "$CLASS_DIR" --solutions "$GRADER_DIR/solutions" --out "$OUT_DIR" '
        "--jobs 2")
    assert artifact_paths(workflow) == ["out/gradebook.csv", "out/results/", "out/report.html"]
    assert f"pip install ./{wheel.bundle_path()}\n" in step(workflow, "install")["run"]


def grader_secret(tmp_path: Path, *, tamper: bool = False) -> str:
    """What ``TORCHGRADE_GRADER_BUNDLE`` holds: the grader bundle's solutions and grader.json."""
    grader = tmp_path / "grader"
    assert cli(["release", "--grader", str(grader)]) == 0
    if tamper:  # a bundle released with other checks than the installed ones
        config = json.loads((grader / "grader.json").read_text())
        config["files"][f"checks/{ASSIGNMENTS[1].name}/checks.py"] = "0" * 64
        (grader / "grader.json").write_text(json.dumps(config))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(grader / "solutions", arcname="solutions")
        archive.add(grader / "grader.json", arcname="grader.json")
    return base64.b64encode(buffer.getvalue()).decode()


def test_the_instructor_workflow_grades_a_class_of_clones(student, tmp_path):
    workflow = load(workflows.instructor_workflow())
    secret = grader_secret(tmp_path)
    assert len(secret) < 48 * 1024, "GitHub keeps secrets of up to 48 KB"
    repository = tmp_path / "grading"
    repository.mkdir()
    # What `gh classroom clone student-repos` leaves: one clone of the student bundle per
    # student (here only 04_collate pushed so far, to keep the test short).
    solved = ASSIGNMENTS[3]
    class_dir = repository / only_job(workflow)["env"]["CLASS_DIR"]
    for student_name in ("hw1-alice", "hw1-bob"):
        clone = shutil.copytree(student, class_dir / student_name)
        (clone / ".git").mkdir()
        for assignment in ASSIGNMENTS:
            if assignment is not solved:
                shutil.rmtree(clone / assignment.name)
    shutil.copy(SOLUTIONS / solved.name / solved.filename,
                class_dir / "hw1-bob" / solved.name / solved.filename)
    done = run_steps(workflow, ["unpack", "verify", "grade", "summary"], cwd=repository,
                     work=tmp_path / "runner", given={"TORCHGRADE_GRADER_BUNDLE": secret})
    for step_id in ("unpack", "verify", "grade", "summary"):
        assert done[step_id].returncode == 0, (step_id, done[step_id].stdout,
                                               done[step_id].stderr)
    rows = {row["submission"]: row for row in csv.DictReader(
        (repository / "out" / "gradebook.csv").open())}
    assert (rows["hw1-alice"]["total"], rows["hw1-bob"]["total"]) == ("0", "20")
    summary = (tmp_path / "runner" / "step_summary.md").read_text()
    assert "| student | status | `01_manual_autograd` |" in summary
    assert re.search(r"^\| hw1-bob \| graded \| missing \| missing \| missing \| 20 \| "
                     r"missing \| \*\*20/100\*\* \|$", summary, re.M), summary
    for path in artifact_paths(workflow):
        assert (repository / path).exists(), path
    assert sorted(p.name for p in (repository / "out" / "results").glob("*.json")) == [
        "hw1-alice.json", "hw1-bob.json"]


def test_the_instructor_workflow_stops_with_a_clear_error(tmp_path):
    workflow = load(workflows.instructor_workflow())
    done = run_steps(workflow, ["unpack"], cwd=tmp_path, work=tmp_path / "empty",
                     given={"TORCHGRADE_GRADER_BUNDLE": ""})
    assert done["unpack"].returncode == 2
    assert "::error::The secret TORCHGRADE_GRADER_BUNDLE is not set" in done["unpack"].stdout
    done = run_steps(workflow, ["unpack"], cwd=tmp_path, work=tmp_path / "garbled",
                     given={"TORCHGRADE_GRADER_BUNDLE": "bm90IGEgdGFyYmFsbA=="})
    assert done["unpack"].returncode == 2 and "is not a base64 tarball" in done["unpack"].stdout
    done = run_steps(workflow, ["unpack", "verify", "grade"], cwd=tmp_path,
                     work=tmp_path / "tampered",
                     given={"TORCHGRADE_GRADER_BUNDLE": grader_secret(tmp_path, tamper=True)})
    assert done["verify"].returncode == 1 and "grade" not in done  # nothing graded
    assert (f"::error::{ASSIGNMENTS[1].name}: the installed checks.py is not the released one"
            in done["verify"].stdout)
