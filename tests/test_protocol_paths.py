"""A plain check runs without pytest's per-item protocol; any other check runs through it.

Both paths must give a check the same values and its outcome the same status
and feedback, whatever the check does: pass, fail, skip itself, exit or
error. Run on a small assignment of its own, whose checks never need a
sandbox, in a fresh interpreter so that its package does not stay imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

# The same bodies twice: once plain, once asking for tmp_path (which pytest's
# protocol provides). Each records which protocol ran it and what it was given.
BODIES = {
    "passes": "pass",
    "fails": "assert seed < 0, 'the seed is never negative'",
    "skips": "pytest.skip('not today')",
}
GRADER_BUGS = {  # the grader's own failures: the session fails, naming each
    "exits": "raise SystemExit(3)",
    "errs": "raise KeyError('grader bug')",
}
CHECK = '''
@check(points=1)
def test_{name}_{path}({args}):
    """{name} ({path})."""
    _note("{name}_{path}", seed, rng, device, submission, reference)
    {body}
'''
HEADER = '''
import json, os
import pytest
import torch
from autograder.judge import check

def _note(key, seed, rng, device, submission, reference):
    record = {"protocol": "PYTEST_CURRENT_TEST" in os.environ, "seed": seed,
              "draw": torch.rand(2, generator=rng).tolist(), "device": str(device),
              "submission": type(submission).__name__, "reference": type(reference).__name__}
    with open(os.environ["NOTES"], "a") as notes:
        notes.write(json.dumps([key, record]) + "\\n")
'''
GRADE = '''
import json, sys, tempfile
from pathlib import Path
from autograder.intake.submission import open_submission
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions, InternalError, grade_batch
from autograder.registry import Assignment
root = Path(sys.argv[1])
sys.path.insert(0, str(root))
fakes = [Assignment(name=name, module=module, title=module, package="torchgrade_" + module,
                    points=points) for name, module, points in json.loads(sys.argv[2])]
with tempfile.TemporaryDirectory() as work:
    opened = open_submission(root / "student", assignments=fakes, workdir=Path(work))
    try:
        [result] = grade_batch([opened], assignments=fakes, options=GradingOptions(
            reference=Solutions(root / "solutions"), seed=5))
    except InternalError as error:
        print(json.dumps({"internal": error.reason + error.detail}))
        sys.exit(0)
print(json.dumps({c.id.split("/")[-1]: [c.status, c.feedback, c.points]
                  for a in result.assignments for c in a.checks}))
'''


def _grade(root: Path, bodies: dict[str, str], *,
           paths: tuple[tuple[str, list[str]], ...] = (("plain", []), ("protocol", ["tmp_path"])),
           module: str = "paths", more: tuple[tuple[str, str], ...] = ()
           ) -> tuple[dict, dict]:
    """Grades a submission on checks with ``bodies``, each once per path (plain, or asking
    for a fixture only pytest provides); ``more`` adds assignments of one check each."""
    assignments = []
    for number, (name, text) in enumerate(((module, HEADER + "".join(
            CHECK.format(name=check, path=path, body=body, args=", ".join(
                ["seed", "rng", "device", "submission", "reference"] + extra))
            for check, body in bodies.items() for path, extra in paths)), *more)):
        package = root / f"torchgrade_{name}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "checks.py").write_text(text)
        (package / "scenarios.py").write_text("")
        folder = f"{7 + number:02d}_{name}"
        for side in ("student", "solutions"):
            (root / side / folder).mkdir(parents=True)
            (root / side / folder / f"{name}.py").write_text("VALUE = 1\n")
        assignments.append([folder, name, text.count("@check(")])
    notes = root / "notes.jsonl"
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(GRADE), str(root), json.dumps(assignments)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"NOTES": str(notes), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    seen = dict(json.loads(line) for line in notes.read_text().splitlines())
    return json.loads(run.stdout.strip().splitlines()[-1]), seen


def test_plain_and_protocol_checks_get_the_same_values_and_outcomes(tmp_path: Path) -> None:
    outcomes, seen = _grade(tmp_path, BODIES)
    for name in BODIES:
        plain, protocol = seen[f"{name}_plain"], seen[f"{name}_protocol"]
        assert plain.pop("protocol") is False and protocol.pop("protocol") is True
        for record in (plain, protocol):  # the check's own seed, and rng drawn from it
            expected = torch.rand(2, generator=torch.Generator().manual_seed(record["seed"]))
            assert record.pop("draw") == expected.tolist()
        assert plain.pop("seed") != protocol.pop("seed")  # seeds are per check
        assert plain == protocol == {"device": "cpu", "submission": "StudentHandle",
                                     "reference": "ReferenceHandle"}
        assert outcomes[f"{name}_plain"] == outcomes[f"{name}_protocol"], name
    assert outcomes["passes_plain"] == ["passed", "Passed.", 1.0]
    assert outcomes["fails_plain"][:2] == ["failed", "the seed is never negative"]
    assert outcomes["skips_plain"][:2] == [
        "error", "This check was skipped, so it earns no points."]


def test_a_grader_bug_fails_the_session_on_either_path(tmp_path: Path) -> None:
    outcomes, seen = _grade(tmp_path, GRADER_BUGS)
    assert sorted(seen) == sorted(f"{name}_{path}" for name in GRADER_BUGS
                                  for path in ("plain", "protocol"))
    report = outcomes["internal"]
    assert "SystemExit: 3" in report and report.endswith("(and 3 more internal errors)")


def test_checks_after_pytest_set_up_a_module_find_it_torn_down(tmp_path: Path) -> None:
    """A check through pytest's protocol, plain checks, then one in another module:
    what pytest set up for the first module is torn down before the other's."""
    other = HEADER + CHECK.format(name="later", path="protocol", body="pass", args=", ".join(
        ["seed", "rng", "device", "submission", "reference", "tmp_path"]))
    outcomes, seen = _grade(tmp_path, {"first": "pass"},
                            paths=(("protocol", ["tmp_path"]), ("plain", [])),
                            more=(("later", other),))
    assert sorted(seen) == ["first_plain", "first_protocol", "later_protocol"]
    assert {name: outcome[0] for name, outcome in outcomes.items()} == {
        "first_protocol": "passed", "first_plain": "passed", "later_protocol": "passed"}
