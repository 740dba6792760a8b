"""The conditioning audit: every check compares what the mathematics decides.

A verdict must hold on every machine (SPEC §2). Another CPU's kernels, another
thread count or a correct student who sums in another order change every
floating-point result by a few ulps; a check whose compared values move
further than its tolerance under such changes fails correct code somewhere,
and a snapshot recorded on one machine does not hold on the next.

The audit grades the reference solution under each
:data:`~autograder.sandbox.perturb.PERTURBATIONS` against the unperturbed
reference, on each seed (the public one, whose answers the snapshots hold,
and a fresh one). Every check must pass; one that fails is ill-conditioned,
and the report names it, the quantity and how far it moved. For the checks
that pass, the spread says how close they came: the largest difference seen,
as a fraction of the check's tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.intake.submission import open_submission
from autograder.judge.compare import Spread
from autograder.judge.engine import grade
from autograder.judge.reference import Recorded, Solutions
from autograder.judge.session import GradingOptions, Observations
from autograder.judge.snapshots import Answers
from autograder.registry import Assignment
from autograder.results import SubmissionResult
from autograder.sandbox.perturb import PERTURBATIONS, Perturbation


@dataclass(frozen=True)
class Trial:
    """One check of the reference, graded under one perturbation on one seed.

    Attributes:
        check: The check's id.
        perturbation: The perturbation's name.
        seed: The run's seed.
        status: The check's status (``passed`` when well conditioned there).
        feedback: What the check said.
        spread: Its comparison that came closest to the tolerance, if any.
    """

    check: str
    perturbation: str
    seed: int
    status: str
    feedback: str
    spread: Spread | None

    @property
    def ratio(self) -> float:
        """How close it came to failing: 1 is the tolerance; a failure counts as infinite."""
        if self.status != "passed":
            return math.inf
        return self.spread.ratio if self.spread is not None else 0.0

    def describe(self) -> str:
        """One line: the check, the quantity, the spread and the perturbation."""
        where = f"under '{self.perturbation}', seed {self.seed}"
        spread = self.spread
        if spread is not None and (self.status == "passed" or spread.ratio > 1):
            size = "beyond" if spread.ratio > 1 else "within"
            return (f"{self.check}: {spread.what} moved by {spread.error:.3g}, "
                    f"{spread.ratio:.3g}x the tolerance ({size} it) {where}")
        return f"{self.check}: {self.status} {where}: {self.feedback}"


@dataclass(frozen=True)
class Baseline:
    """The unperturbed reference on one seed: what the perturbed one is compared with.

    Attributes:
        answers: Its recorded calls.
        passing: The checks it passes; the others cannot be audited (a check the
            reference fails is the reference's problem, reported elsewhere).
    """

    answers: Answers
    passing: frozenset[str]

    @classmethod
    def of(cls, result: SubmissionResult, answers: Answers) -> Baseline:
        return cls(answers=answers, passing=frozenset(
            c.id for a in result.assignments for c in a.checks if c.status == "passed"))


@dataclass(frozen=True)
class AuditReport:
    """Every trial of one audit.

    Attributes:
        trials: One per audited check, perturbation and seed.
        seeds: The seeds audited.
        perturbations: What was applied.
        unaudited: Checks the unperturbed reference already fails.
    """

    trials: tuple[Trial, ...]
    seeds: tuple[int, ...]
    perturbations: tuple[Perturbation, ...]
    unaudited: tuple[str, ...] = ()

    @property
    def ill_conditioned(self) -> tuple[Trial, ...]:
        """The trials a check failed: each is a check that rounding can decide."""
        return tuple(t for t in self.trials if t.status != "passed")

    def worst(self) -> dict[str, Trial]:
        """Per check, the trial that came closest to (or went furthest past) its tolerance."""
        found: dict[str, Trial] = {}
        for trial in self.trials:
            if trial.check not in found or _severity(trial) > _severity(found[trial.check]):
                found[trial.check] = trial
        return found

    def summary(self) -> str:
        checks = len({t.check for t in self.trials})
        done = (f"{checks} checks x {len(self.perturbations)} perturbations x "
                f"{len(self.seeds)} seeds")
        skipped = (f"; {len(self.unaudited)} check(s) the reference fails not audited"
                   if self.unaudited else "")
        bad = sorted({t.check for t in self.ill_conditioned})
        if bad:
            return f"{len(bad)} ill-conditioned check(s) ({done}): {', '.join(bad)}{skipped}"
        worst = max(self.trials, key=_severity, default=None)
        closest = (f"; closest: {worst.check}, {worst.spread.ratio:.2g}x its tolerance"
                   if worst is not None and worst.spread is not None else "")
        return f"every check is well conditioned ({done}){closest}{skipped}"


def _severity(trial: Trial) -> tuple[float, float]:
    spread = trial.spread.ratio if trial.spread is not None else 0.0
    return (trial.ratio, spread)


def audit(*, solutions: Path, assignments: Sequence[Assignment], seeds: Sequence[int],
          work: Path, baselines: Mapping[int, Baseline] | None = None,
          perturbations: Sequence[Perturbation] = PERTURBATIONS) -> AuditReport:
    """Grades the reference under every perturbation against the unperturbed reference.

    Args:
        solutions: The reference solutions (``<name>/<module>.py``).
        assignments: Whose checks to audit.
        seeds: The seeds to audit on (each one's inputs).
        work: Scratch space.
        baselines: The unperturbed reference per seed, when an earlier batch
            already graded it; the others are graded here.
        perturbations: What to apply, each on its own.

    Raises:
        InternalError: a batch could not run (e.g. the reference crashed).
    """
    trials: list[Trial] = []
    unaudited: set[str] = set()
    for seed in seeds:
        baseline = (baselines or {}).get(seed) or _baseline(solutions, assignments, seed, work)
        for perturbation in perturbations:
            found = _trials(solutions, assignments, seed, work, baseline.answers,
                            replace(perturbation, seed=seed))
            trials += [t for t in found if t.check in baseline.passing]
            unaudited |= {t.check for t in found if t.check not in baseline.passing}
    return AuditReport(trials=tuple(trials), seeds=tuple(seeds),
                       perturbations=tuple(perturbations), unaudited=tuple(sorted(unaudited)))


def _baseline(solutions: Path, assignments: Sequence[Assignment], seed: int, work: Path
              ) -> Baseline:
    observed = Observations()
    opened = open_submission(solutions, assignments=assignments, workdir=work)
    [result] = grade([opened], assignments=assignments, observe=observed,
                     options=GradingOptions(reference=Solutions(solutions), seed=seed)).results
    return Baseline.of(result, observed.answers)


def _trials(solutions: Path, assignments: Sequence[Assignment], seed: int, work: Path,
            answers: Answers, perturbation: Perturbation) -> list[Trial]:
    observed = Observations()
    opened = open_submission(solutions, assignments=assignments, workdir=work)
    options = GradingOptions(reference=Recorded(answers, seed), seed=seed,
                             perturbation=perturbation)
    [result] = grade([opened], assignments=assignments, options=options,
                     observe=observed).results
    return [Trial(check=check.id, perturbation=perturbation.name, seed=seed,
                  status=check.status, feedback=check.feedback,
                  spread=observed.spreads.get((0, check.id)))
            for assignment in result.assignments for check in assignment.checks]
