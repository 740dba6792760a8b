"""``torchgrade validate``: the pre-flight passes on this checkout and names what is off.

Each run grades for real (the reference twice, the stubs, a catalogue) and
re-records the snapshots to compare, so the tests use a two-variant
catalogue and put several faults into one failing run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from autograder.cli import main
from tests.conftest import ROOT, SOLUTIONS, make_submission, replace

CATALOGUE = ROOT / "tests" / "catalogue"
SMALL = '''from autograder.catalogue import Alternative, Mistake, Replace, fails

MISTAKES = [Mistake(
    name="mask_inverted", assignment="04_collate",
    edits=(Replace("torch.arange(max_len, device=device) < lengths",
                   "torch.arange(max_len, device=device) >= lengths"),),
    fails=fails("04_collate", "attention_mask"{extra}),
    feedback="True exactly where a real token sits")]
'''
ALTERNATIVE = '''from autograder.catalogue import Alternative, Replace

ALTERNATIVES = [Alternative(
    name="long_via_to", assignment="04_collate",
    edits=(Replace("lengths = torch.tensor(lengths_list, dtype=torch.long, device=device)",
                   "lengths = torch.tensor(lengths_list, device=device).to(torch.long)"),))]
'''


def _catalogue(folder: Path, extra: str = "") -> Path:
    (folder / "mistakes").mkdir(parents=True)
    (folder / "alternatives").mkdir()
    (folder / "mistakes" / "collate.py").write_text(SMALL.format(extra=extra))
    (folder / "alternatives" / "collate.py").write_text(ALTERNATIVE)
    return folder


def _report(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The report's first line per step, by its status word's line."""
    lines = capsys.readouterr().out.splitlines()
    return {line: "\n".join(lines[i + 1:i + 9]) for i, line in enumerate(lines)
            if re.match(r"^(ok|failed|skipped) ", line)}


def _status(report: dict[str, str], fragment: str) -> str:
    [line] = [line for line in report if fragment in line]
    return line.split()[0]


def test_this_checkout_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--catalogue", str(_catalogue(tmp_path / "catalogue")),
                 "--seed", "5"])
    report = _report(capsys)
    assert code == 0, report
    assert {line.split()[0] for line in report} == {"ok"}
    assert _status(report, "1/1 mistakes caught as declared, 1/1 alternatives") == "ok"
    assert _status(report, "stubs score 0/100") == "ok"
    # The conditioning audit: every check, 4 perturbations, the public and the fresh seed.
    assert _status(report, "every check is well conditioned (") == "ok"
    assert "x 4 perturbations x 2 seeds" in next(k for k in report if "well conditioned" in k)


def test_every_fault_is_named_and_the_exit_is_1(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # A reference whose SGD step is not in place (which no reference may be, whatever
    # it is compared with), a catalogue mistake that declares a check it does not
    # fail, and a student bundle holding a solution block.
    solutions = make_submission(tmp_path / "solutions", {"01_manual_autograd": replace(
        "        w1 -= lr * w1.grad\n", "        w1 = w1 - lr * w1.grad\n")})
    catalogue = _catalogue(tmp_path / "catalogue", extra=', "input_ids"')
    student = tmp_path / "student"
    shutil.copytree(ROOT / "assignments", student)
    leaked = (SOLUTIONS / "04_collate" / "collate.py").read_text()
    (student / "04_collate" / "notes.py").write_text(leaked.split("### BEGIN SOLUTION")[1])
    code = main(["validate", "--solutions", str(solutions), "--catalogue", str(catalogue),
                 "--student", str(student), "--seed", "5"])
    report = _report(capsys)
    assert code == 1
    assert _status(report, "on the public seed") == "failed"
    assert _status(report, "on a fresh seed (5)") == "failed"
    mistakes = next(k for k in report if "mistakes caught" in k)
    assert _status(report, "mistakes caught") == "failed"
    assert "passed but should fail: 04_collate/input_ids" in report[mistakes]
    assert _status(report, "the public snapshots") == "failed"
    bundle = next(k for k in report if "student bundle at" in k)
    assert bundle.startswith("failed") and "04_collate/notes.py" in report[bundle]


def test_snapshots_that_no_longer_match_the_reference_are_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A reference changed consistently (still 100 against itself) outdates the snapshots."""
    solutions = make_submission(tmp_path / "solutions", {"03_custom_dataset": replace(
        "slope: float = 2.0", "slope: float = 3.0")})
    code = main(["validate", "--solutions", str(solutions),
                 "--catalogue", str(_catalogue(tmp_path / "catalogue")), "--seed", "5"])
    report = _report(capsys)
    assert code == 1
    assert _status(report, "on the public seed") == "ok"
    snapshots = next(k for k in report if "the public snapshots" in k)
    assert snapshots.startswith("failed") and "are out of date" in snapshots
    assert "These public snapshots are out of date" in report[snapshots]
    assert "03_custom_dataset" in report[snapshots]
