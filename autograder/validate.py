"""``torchgrade validate``: the instructor's pre-flight before anything ships.

A release is only as trustworthy as the checks and files behind it, so this
runs, in one command, everything that must hold before students see it:

1. the reference scores full marks on the public seed and on a fresh one;
2. every check is well conditioned: the reference still scores full marks
   when perturbed as another machine would perturb it, on both seeds
   (:mod:`autograder.judge.audit`);
3. the stubs, freshly generated from ``solutions/``, score 0;
4. every mistake of the catalogue is caught as declared and every correct
   alternative gets full marks (:mod:`autograder.catalogue`);
5. the committed stubs, notebooks, READMEs, public snapshots and table of
   checks are what ``solutions/`` and the checks generate now;
6. the student bundle (built in memory, or an existing one) leaks nothing.

Each step is a small function returning :class:`Finding`; the report lists
them all, and the exit status is 1 when any failed. A step that cannot run
here (no catalogue folder) is reported as skipped, never as passed. The run
takes minutes, so each step is announced on standard error as it starts
(a progress bar on a terminal, a plain line in a log).

Run inside a grader bundle (``torchgrade release --grader DIR``), it
validates that bundle: its solutions, its catalogue, its snapshots where it
has them, and whether the bundle is what its solutions and the installed
checks generate; nothing of the checkout torchgrade was installed from.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from autograder import registry
from autograder.catalogue import (
    Alternative,
    Catalogue,
    CatalogueError,
    Mistake,
    alternative_problems,
    apply,
    load_catalogue,
    mistake_problems,
)
from autograder.intake.submission import open_submission
from autograder.judge import audit
from autograder.judge.engine import grade
from autograder.judge.reference import Solutions
from autograder.judge.session import GradingOptions, InternalError, Observations
from autograder.judge.snapshots import PUBLIC_SEED, Answers
from autograder.layout import ROOT, catalogue_dir
from autograder.registry import Assignment
from autograder.release import currency
from autograder.release.files import display
from autograder.release.stubs import render_stubs
from autograder.results import SubmissionResult
from autograder.results.progress import Steps

EXIT_OK, EXIT_FAILED = 0, 1
_SHOWN = 8


@dataclass(frozen=True)
class Finding:
    """The outcome of one pre-flight step.

    Attributes:
        status: ``ok``, ``failed`` or ``skipped``.
        summary: One line: what was checked and what came out.
        details: What to look at when it failed (or why it was skipped).
    """

    status: str
    summary: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What one validation run looks at.

    Attributes:
        solutions: The marked reference solutions.
        assignments: The assignments to validate.
        stubs: The committed working copy (``assignments/``), checked for
            staleness; None where there is none (an installed torchgrade).
        docs: The committed table of checks, when there is one.
        catalogue: The catalogue folder, or None to skip that step.
        student: An existing student bundle to scan; None builds one in memory.
        work: Scratch space for the graded copies.
        seed: The fresh seed of this run.
        snapshots: The recorded public snapshots to compare (``<name>/``
            per assignment); None for those shipped with torchgrade.
        bundle: The grader bundle being validated, compared whole with what
            its solutions generate; None outside one.
        cache: What several steps share, computed by the first that needs it
            (the catalogue, and one fresh-seed batch for the reference, the
            stubs and every variant).
    """

    solutions: Path
    assignments: tuple[Assignment, ...]
    stubs: Path | None
    docs: Path | None
    catalogue: Path | None
    student: Path | None
    work: Path
    seed: int
    snapshots: Path | None = None
    bundle: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict)


def main(*, solutions: Path, stubs: Path | None = None, docs: Path | None = None,
         catalogue: Path | None = None, student: Path | None = None, seed: int | None = None,
         bundle: Path | None = None, out: TextIO | None = None,
         progress: TextIO | None = None) -> int:
    """Runs every pre-flight step and prints the report.

    Args:
        solutions: The ``solutions/`` folder.
        stubs: The committed ``assignments/`` folder (default: the checkout's,
            when there is one and no ``bundle`` is validated).
        docs: The committed table of checks (default: likewise the
            checkout's ``docs/checks.md``).
        catalogue: The mistake catalogue (default: the bundle's
            ``catalogue/``, else the checkout's ``tests/catalogue`` when it
            exists; skipped otherwise).
        student: An existing student bundle to scan for leaks instead of a
            freshly built one.
        seed: The "fresh" seed, to reproduce a failure; drawn when None.
        bundle: A grader bundle to validate (the one the command runs in):
            the defaults above become its own, its ``snapshots/`` (when it
            has them) are compared, and so is the bundle itself.
        out: Where the report goes (standard output by default).
        progress: Where each step is announced as it starts (standard error
            by default).

    Returns:
        0 when every step passed or was skipped; 1 when any failed.
    """
    started = time.monotonic()
    steps = Steps(total=len(STEPS), stream=progress)
    with tempfile.TemporaryDirectory(prefix="torchgrade-validate-") as work:
        plan = _plan(solutions=Path(solutions), stubs=stubs, docs=docs, catalogue=catalogue,
                     student=student, seed=seed, bundle=bundle, work=Path(work))
        findings = []
        try:
            for step in STEPS:
                steps.start(step_title(step))
                try:
                    finding = step(plan)
                except InternalError as error:
                    finding = Finding("failed", f"{step.__name__}: the grader itself failed",
                                      (error.reason, *error.detail.splitlines()[-3:]))
                findings.append(finding)
                steps.print(_finding_text(finding), out)
        finally:
            steps.close()
    failed = sum(f.status == "failed" for f in findings)
    skipped = sum(f.status == "skipped" for f in findings)
    verdict = "FAILED" if failed else "passed"
    print(f"\nvalidate {verdict}: {len(findings) - failed - skipped} ok, {failed} failed, "
          f"{skipped} skipped in {time.monotonic() - started:.1f} s (fresh seed {plan.seed}; "
          f"reproduce with --seed {plan.seed})", file=out)
    return EXIT_FAILED if failed else EXIT_OK


def _plan(*, solutions: Path, stubs: Path | None, docs: Path | None, catalogue: Path | None,
          student: Path | None, seed: int | None, bundle: Path | None, work: Path) -> Plan:
    """What a run looks at: the explicit paths, else the bundle's, else the checkout's."""
    home = Path(bundle) if bundle is not None else None
    default_stubs = ROOT / "assignments"
    default_docs = ROOT / "docs" / "checks.md"
    if home is None:
        stubs = stubs if stubs is not None else (default_stubs if default_stubs.is_dir()
                                                 else None)
        docs = docs if docs is not None else (default_docs if default_docs.is_file() else None)
    if catalogue is None:
        own = home / "catalogue" if home is not None else None
        catalogue = own if own is not None and own.is_dir() else catalogue_dir()
    recorded = home / "snapshots" if home is not None else None
    return Plan(solutions=solutions, assignments=registry.discover(), stubs=stubs, docs=docs,
                catalogue=catalogue, student=student, work=work,
                seed=secrets.randbits(32) if seed is None else seed,
                snapshots=recorded if recorded is not None and any(
                    recorded.glob("*/snapshots.json")) else None,
                bundle=home)


def step_title(step: Callable[[Plan], Finding]) -> str:
    """What a step checks, in words: its docstring's first paragraph, without markup."""
    first = (step.__doc__ or step.__name__).strip().split("\n\n")[0]
    return " ".join(first.split()).replace("``", "").rstrip(".")


def _finding_text(finding: Finding) -> str:
    """A finding as the report shows it: its status and summary, then up to 8 details."""
    lines = [f"{finding.status:<8} {finding.summary}"]
    lines += [f"         {line}" for line in finding.details[:_SHOWN]]
    if len(finding.details) > _SHOWN:
        lines.append(f"         (and {len(finding.details) - _SHOWN} more)")
    return "\n".join(lines)


def reference_on_public_seed(plan: Plan) -> Finding:
    """The reference scores full marks on the inputs ``torchgrade check`` uses."""
    return _reference_finding(_public(plan)[0], "the public seed")


def reference_on_fresh_seed(plan: Plan) -> Finding:
    """The reference scores full marks on inputs no one has seen (one batch with the stubs
    and the catalogue's variants, the longest step)."""
    return _reference_finding(_fresh(plan)["reference"], f"a fresh seed ({plan.seed})")


def _public(plan: Plan) -> tuple[SubmissionResult, Answers]:
    """The reference graded on the public seed, and its answers: what snapshots record.

    Graded once: the reference step reads the result, the staleness step
    compares the answers with the recorded snapshots.
    """
    if "public" not in plan.cache:
        observed = Observations()
        [result] = _grade(plan, {"reference": plan.solutions}, PUBLIC_SEED, observe=observed)
        plan.cache["public"] = (result, {a.name: observed.answers.get(a.name, {})
                                         for a in plan.assignments})
    return plan.cache["public"]


def _reference_finding(result: SubmissionResult, which: str) -> Finding:
    problems = alternative_problems(result)
    status = "ok" if not problems else "failed"
    return Finding(status, f"reference solutions score {result.score:g}/{result.max_score:g} "
                           f"on {which}", tuple(problems))


def checks_are_well_conditioned(plan: Plan) -> Finding:
    """Rounding never decides a verdict: the perturbed reference keeps full marks."""
    baselines = {PUBLIC_SEED: audit.Baseline.of(*_public(plan))}
    if "fresh_answers" in plan.cache:  # recorded by the fresh-seed batch
        baselines[plan.seed] = audit.Baseline.of(_fresh(plan)["reference"],
                                                 plan.cache["fresh_answers"])
    report = audit.audit(solutions=plan.solutions, assignments=plan.assignments,
                         seeds=(PUBLIC_SEED, plan.seed), work=plan.work / "audit",
                         baselines=baselines)
    if report.ill_conditioned:
        details = [trial.describe() for trial in report.ill_conditioned]
        details.append("a check must compare what the mathematics decides: compare other "
                       "quantities, use float64, or a tolerance that covers rounding "
                       "(SPEC §2)")
        return Finding("failed", report.summary(), tuple(details))
    return Finding("ok", report.summary())


def stubs_score_zero(plan: Plan) -> Finding:
    """Fresh stubs earn nothing: every check says not implemented."""
    result = _fresh(plan)["stubs"]
    earning = [f"{c.id}: {c.status}" for a in result.assignments for c in a.checks
               if c.points > 0 or c.status != "not_implemented"]
    checks = sum(len(a.checks) for a in result.assignments)
    return Finding("ok" if not earning and result.score == 0 else "failed",
                   f"stubs score {result.score:g}/{result.max_score:g} ({checks} checks, "
                   f"{checks - len(earning)} not implemented)", tuple(earning))


def catalogue_is_caught(plan: Plan) -> Finding:
    """Every catalogued mistake loses the points it should; every alternative keeps them."""
    if plan.catalogue is None:
        return Finding("skipped", "mistake catalogue: none found",
                       ("pass --catalogue DIR (this checkout keeps one in tests/catalogue)",))
    catalogue = _catalogue(plan)
    if isinstance(catalogue, CatalogueError):
        return Finding("failed", f"mistake catalogue at {plan.catalogue} cannot be used",
                       (str(catalogue),))
    results = _fresh(plan)
    problems = []
    for mistake in catalogue.mistakes:
        problems += [f"{mistake.label}: {p}" for p in mistake_problems(results[mistake.label],
                                                                        mistake)]
    for alternative in catalogue.alternatives:
        problems += [f"{alternative.label}: {p}"
                     for p in alternative_problems(results[alternative.label])]
    caught = sum(not mistake_problems(results[m.label], m) for m in catalogue.mistakes)
    full = sum(not alternative_problems(results[a.label]) for a in catalogue.alternatives)
    summary = (f"mistake catalogue: {caught}/{len(catalogue.mistakes)} mistakes caught as "
               f"declared, {full}/{len(catalogue.alternatives)} alternatives at full marks")
    known = uncaught_lines(catalogue.uncaught)
    if known:
        summary += (f"; {len(catalogue.uncaught)} more mistake(s) the checks do not catch yet "
                    "were not graded")
    return Finding("ok" if not problems else "failed", summary, (*problems, *known))


def uncaught_lines(uncaught: tuple[Mistake, ...]) -> list[str]:
    """Explains the catalogue's known gaps: real mistakes no check catches yet."""
    if not uncaught:
        return []
    return ["Not graded: the catalogue lists these under UNCAUGHT, real mistakes that no "
            "check catches yet (they would score full marks); move one to MISTAKES once a "
            "check catches it:", *(f"  {mistake.label}" for mistake in uncaught)]


def _catalogue(plan: Plan) -> Catalogue | CatalogueError:
    """The plan's catalogue with its variant folders written, or why it cannot be used."""
    if "catalogue" not in plan.cache:
        assert plan.catalogue is not None
        try:
            catalogue = load_catalogue(plan.catalogue,
                                       assignments=[a.name for a in plan.assignments])
            plan.cache["variants"] = _variant_folders(plan, catalogue)
            plan.cache["catalogue"] = catalogue
        except CatalogueError as error:
            plan.cache["catalogue"] = error
    return plan.cache["catalogue"]


def _fresh(plan: Plan) -> dict[str, SubmissionResult]:
    """The fresh-seed results of the reference, the stubs and every usable variant.

    One batch for all of them: each batch starts a zygote and a reference
    sandbox, and the reference's answers are shared by every submission.
    """
    if "fresh" not in plan.cache:
        stubs = plan.work / "stubs"
        for relative, text in render_stubs(solutions=plan.solutions,
                                           assignments=plan.assignments).items():
            (stubs / relative).parent.mkdir(parents=True, exist_ok=True)
            (stubs / relative).write_text(text)
        folders = {"reference": plan.solutions, "stubs": stubs}
        if plan.catalogue is not None and isinstance(_catalogue(plan), Catalogue):
            folders |= plan.cache["variants"]
        observed = Observations()
        try:
            results = _grade(plan, folders, plan.seed, observe=observed)
        except InternalError as error:
            plan.cache["fresh"] = error  # every step that needs the batch reports it
            raise
        plan.cache["fresh"] = dict(zip(folders, results, strict=True))
        plan.cache["fresh_answers"] = observed.answers
    if isinstance(plan.cache["fresh"], InternalError):
        raise plan.cache["fresh"]
    return plan.cache["fresh"]


def _variant_folders(plan: Plan, catalogue: Catalogue) -> dict[str, Path]:
    """One submission folder per variant: the reference with one file edited."""
    by_name = {a.name: a for a in plan.assignments}
    folders: dict[str, Path] = {}
    variants: list[Mistake | Alternative] = [*catalogue.mistakes, *catalogue.alternatives]
    for i, variant in enumerate(variants):
        folder = plan.work / "catalogue" / f"v{i:03d}"
        shutil.copytree(plan.solutions, folder)
        path = folder / variant.assignment / by_name[variant.assignment].filename
        try:
            path.write_text(apply(path.read_text(), variant.edits))
        except CatalogueError as error:
            raise CatalogueError(f"{variant.label}: {error}") from error
        folders[variant.label] = folder
    return folders


def generated_files_current(plan: Plan) -> Finding:
    """The committed stubs, notebooks, READMEs, snapshots and docs match the sources."""
    from autograder.release import MarkerError

    names = [*([display(plan.stubs)] if plan.stubs else []), "the public snapshots",
             *([display(plan.docs)] if plan.docs else []),
             *([f"the grader bundle at {plan.bundle.resolve()}"] if plan.bundle else [])]
    result, answers = _public(plan)  # the reference's public answers, graded once
    lost = alternative_problems(result)
    if lost:
        return Finding("failed", f"{', '.join(names)} could not be compared with solutions/",
                       ("the reference must score full marks on the public seed before its "
                        "answers can be compared with the snapshots:", *lost))
    try:
        parts = currency.compare(answers, solutions=plan.solutions,
                                 assignments=plan.assignments, stubs=plan.stubs,
                                 docs=plan.docs, snapshots=plan.snapshots, bundle=plan.bundle)
    except MarkerError as error:
        return Finding("failed", f"{', '.join(names)} could not be compared with solutions/",
                       tuple(str(error).splitlines()))
    current, summary, details = currency.summary(parts)
    return Finding("ok" if current else "failed", summary, details)


def student_bundle_leaks_nothing(plan: Plan) -> Finding:
    """No solution text, marker or grading seed in what students get."""
    from autograder.release import bundles, leaks

    secrets_ = leaks.solution_lines(solutions=plan.solutions, assignments=plan.assignments)
    if plan.student is None:
        where = "the student bundle (built in memory)"
        try:
            files = bundles.build_student(bundles.Sources(solutions=plan.solutions,
                                                          assignments=plan.assignments))
        except leaks.LeakError as error:
            return Finding("failed", f"{where} would leak", tuple(error.problems))
    else:
        where = f"the student bundle at {plan.student}"
        files = {path.relative_to(plan.student).as_posix(): path.read_bytes()
                 for path in sorted(Path(plan.student).rglob("*")) if path.is_file()}
        try:
            leaks.verify_student(files, secrets=secrets_)
        except leaks.LeakError as error:
            return Finding("failed", f"{where} leaks", tuple(error.problems))
    return Finding("ok", f"{where}: {len(files)} files, no solution line, marker or "
                         f"grading seed")


def _grade(plan: Plan, folders: dict[str, Path], seed: int,
           observe: Observations | None = None) -> list[SubmissionResult]:
    work = plan.work / f"grading-{len(list(plan.work.glob('grading-*')))}"
    work.mkdir()
    submissions = [open_submission(path, assignments=plan.assignments, workdir=work)
                   for path in folders.values()]
    return list(grade(submissions, assignments=plan.assignments,
                      options=GradingOptions(reference=Solutions(plan.solutions), seed=seed),
                      observe=observe).results)


STEPS: tuple[Callable[[Plan], Finding], ...] = (
    reference_on_public_seed,
    reference_on_fresh_seed,
    checks_are_well_conditioned,
    stubs_score_zero,
    catalogue_is_caught,
    generated_files_current,
    student_bundle_leaks_nothing,
)
"""Every pre-flight step, in the order the report shows them."""

__all__ = ["STEPS", "Finding", "Plan", "main"]
