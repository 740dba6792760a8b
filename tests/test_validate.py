"""``torchgrade validate``: the pre-flight passes on this checkout and names what is off.

Each run grades for real (the reference twice, the stubs, a catalogue) and
re-records the snapshots to compare, so the tests use a two-variant
catalogue and put several faults into one failing run; one of the runs
stands in a grader bundle. The report's pieces are tested as functions on
real files, without a run.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from autograder import validate
from autograder.catalogue import load_catalogue
from autograder.cli import main
from autograder.judge.snapshots import SnapshotStore, snapshot_dir
from autograder.layout import solutions_dir
from autograder.registry import discover
from autograder.release import bundles, currency, publish
from autograder.results.progress import Steps
from tests.conftest import ROOT, SOLUTIONS, STUBS, make_submission, replace

CATALOGUE = ROOT / "tests" / "catalogue"
SMALL = '''from autograder.catalogue import Alternative, Mistake, Replace, fails

MISTAKES = [Mistake(
    name="mask_inverted", assignment="04_collate",
    edits=(Replace("torch.arange(max_len, device=device) < lengths",
                   "torch.arange(max_len, device=device) >= lengths"),),
    fails=fails("04_collate", "attention_mask"{extra}),
    feedback="True exactly where a real token sits")]

UNCAUGHT = [Mistake(
    name="mask_as_long", assignment="04_collate",
    edits=(Replace("torch.arange(max_len, device=device) < lengths",
                   "(torch.arange(max_len, device=device) < lengths).long() > 0"),),
    fails=fails("04_collate", "attention_mask"), feedback="mask")]
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


def _report(capsys: pytest.CaptureFixture[str], out: str | None = None) -> dict[str, str]:
    """The report's first line per step, by its status word's line."""
    lines = (capsys.readouterr().out if out is None else out).splitlines()
    return {line: "\n".join(lines[i + 1:i + 9]) for i, line in enumerate(lines)
            if re.match(r"^(ok|failed|skipped) ", line)}


def _status(report: dict[str, str], fragment: str) -> str:
    [line] = [line for line in report if fragment in line]
    return line.split()[0]


def test_this_checkout_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--catalogue", str(_catalogue(tmp_path / "catalogue")),
                 "--seed", "5"])
    captured = capsys.readouterr()
    report = _report(capsys, captured.out)
    assert code == 0, (report, captured.err[-3000:])
    assert {line.split()[0] for line in report} == {"ok"}
    # Each step is announced as it starts (plain lines: this is no terminal).
    announced = [line for line in captured.err.splitlines() if re.match(r"^\[\d/7\] ", line)]
    assert [line[:5] for line in announced] == [f"[{i}/7]" for i in range(1, 8)]
    assert "[3/7] Rounding never decides a verdict" in captured.err
    mistakes = next(k for k in report if "mistakes caught" in k)
    assert _status(report, "1/1 mistakes caught as declared, 1/1 alternatives") == "ok"
    assert mistakes.endswith("1 more mistake(s) the checks do not catch yet were not graded")
    assert "real mistakes that no check catches yet" in report[mistakes]
    assert "04_collate:mask_as_long" in report[mistakes]
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


def test_snapshots_that_no_longer_match_the_reference_are_named_in_a_grader_bundle(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference changed consistently (still 100 against itself) outdates the snapshots.

    Run where an instructor runs it: in the grader bundle released from that
    reference, whose solutions are the default and which is checked itself.
    """
    solutions = make_submission(tmp_path / "solutions", {"03_custom_dataset": replace(
        "slope: float = 2.0", "slope: float = 3.0")})
    bundle = tmp_path / "grader"
    publish.write(bundle, "grader", bundles.build_grader(bundles.Sources(
        solutions=solutions, assignments=discover())))
    monkeypatch.chdir(bundle / "solutions")
    code = main(["validate", "--catalogue", str(_catalogue(tmp_path / "catalogue")),
                 "--seed", "5"])
    report = _report(capsys)
    assert code == 1
    assert _status(report, "on the public seed") == "ok"
    snapshots = next(k for k in report if "the public snapshots" in k)
    assert snapshots.startswith("failed   out of date: the public snapshots (up to date: "
                                f"the grader bundle at {bundle.resolve()})")
    assert "These public snapshots are out of date" in report[snapshots]
    assert "03_custom_dataset" in report[snapshots]
    assert str(ROOT / "assignments") not in snapshots and "docs/checks.md" not in snapshots


def test_the_heading_names_exactly_what_is_out_of_date(tmp_path: Path) -> None:
    assignments = discover()
    stubs = shutil.copytree(STUBS, tmp_path / "assignments")
    (stubs / "02_my_linear" / "my_linear.py").write_text("# edited by hand\n")
    recorded = {a.name: SnapshotStore.load(a).recordings() for a in assignments}
    parts = [currency.stub_files(solutions=SOLUTIONS, folder=stubs, assignments=assignments),
             currency.public_snapshots(recorded, assignments=assignments),
             currency.checks_table(path=ROOT / "docs" / "checks.md", assignments=assignments)]
    current, heading, details = currency.summary(parts)
    assert not current
    assert heading == (f"out of date: {stubs} (up to date: the public snapshots, "
                       "docs/checks.md)")
    assert any("02_my_linear/my_linear.py (differs" in line for line in details)
    assert not any("up to date" in line or "checks.md" in line for line in details)
    assert currency.summary(parts[1:]) == (
        True, "the public snapshots and docs/checks.md match solutions/ and the checks", ())


def test_a_bundles_own_snapshots_are_compared(tmp_path: Path) -> None:
    assignments = discover()
    root = tmp_path / "snapshots"
    for assignment in assignments:
        shutil.copytree(snapshot_dir(assignment), root / assignment.name,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    recorded = {a.name: SnapshotStore.load(a).recordings() for a in assignments}
    assert currency.public_snapshots(recorded, assignments=assignments, root=root).problems == ()
    shutil.rmtree(root / "04_collate")
    stale = currency.public_snapshots(recorded, assignments=assignments, root=root)
    assert stale.what == f"the public snapshots in {root}"
    assert any(str(root / "04_collate") in line for line in stale.problems)
    assert "then release the bundle again" in stale.problems[-1]


def test_in_a_grader_bundle_its_own_folders_are_the_defaults(tmp_path: Path) -> None:
    assignments = discover()
    bundle = tmp_path / "grader"
    sources = bundles.Sources(solutions=SOLUTIONS, assignments=assignments,
                              catalogue=ROOT / "tests" / "catalogue")
    publish.write(bundle, "grader", bundles.build_grader(sources))
    kept = currency.grader_bundle(folder=bundle, solutions=SOLUTIONS, assignments=assignments,
                                  catalogue=bundle / "catalogue")
    assert kept.problems == ()
    assert solutions_dir(where=bundle / "checks") == (bundle / "solutions").resolve()
    assert solutions_dir(where=tmp_path) == (ROOT / "solutions").resolve()
    plan = validate._plan(solutions=bundle / "solutions", stubs=None, docs=None,
                          catalogue=None, student=None, seed=5, bundle=bundle, work=tmp_path)
    assert (plan.stubs, plan.docs) == (None, None)  # a bundle has no assignments/ or docs
    assert (plan.catalogue, plan.snapshots) == (bundle / "catalogue", None)
    for assignment in assignments:  # snapshots a bundle may carry, as a student bundle does
        shutil.copytree(snapshot_dir(assignment), bundle / "snapshots" / assignment.name,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    plan = validate._plan(solutions=bundle / "solutions", stubs=None, docs=None,
                          catalogue=None, student=None, seed=5, bundle=bundle, work=tmp_path)
    assert plan.snapshots == bundle / "snapshots"
    checkout = validate._plan(solutions=SOLUTIONS, stubs=None, docs=None, catalogue=None,
                              student=None, seed=5, bundle=None, work=tmp_path)
    assert (checkout.stubs, checkout.snapshots) == (ROOT / "assignments", None)

    (bundle / "checks" / "02_my_linear" / "checks.py").write_text("# an older check\n")
    changed = currency.grader_bundle(folder=bundle, solutions=SOLUTIONS,
                                     assignments=assignments, catalogue=bundle / "catalogue")
    assert changed.what == f"the grader bundle at {bundle.resolve()}"
    assert any("checks/02_my_linear/checks.py (differs" in line for line in changed.problems)


def test_the_catalogues_known_gaps_are_explained() -> None:
    catalogue = load_catalogue(ROOT / "tests" / "catalogue",
                               assignments=[a.name for a in discover()])
    lines = validate.uncaught_lines(catalogue.uncaught)
    assert lines[0].startswith("Not graded: the catalogue lists these under UNCAUGHT, real "
                               "mistakes that no check catches yet")
    assert "  01_manual_autograd:gradients_carry_a_graph" in lines
    assert validate.uncaught_lines(()) == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_are_announced_as_lines_in_a_log_and_as_a_bar_on_a_terminal() -> None:
    log, out = io.StringIO(), io.StringIO()
    steps = Steps(total=2, stream=log)
    steps.start("first thing")
    steps.print("ok       first", out)
    steps.start("second thing")
    steps.close()
    assert log.getvalue() == "[1/2] first thing\n[2/2] second thing\n"
    assert out.getvalue() == "ok       first\n"

    terminal = _Terminal()
    bar = Steps(total=2, stream=terminal)
    bar.start("first thing")
    bar.print("ok       first", out)
    bar.close()
    assert "[1/2] first thing" in terminal.getvalue() and "2/2 done" in terminal.getvalue()
