"""The catalogue of student mistakes and correct alternatives, graded in one batch.

Every variant is a full submission: the reference with one assignment's file
edited (see ``tests/catalogue``). A mistake must cost points in its own
assignment only, fail exactly the checks it names and say why in its
feedback; an alternative must get full marks. The batch also holds a
submission of zeros of the right shapes and the stubs of the student release.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from autograder.results import AssignmentResult, SubmissionResult
from autograder.sandbox.client import Limits
from tests.catalogue import ASSIGNMENTS, Alternative, Mistake, apply
from tests.conftest import STUBS, grade_folders, make_submission

SEED = 2024
LIMITS = Limits(call_seconds=10.0, load_seconds=10.0, after_timeout_seconds=0.5)
ZEROS = Path(__file__).resolve().parent / "catalogue" / "zeros"

MODULES = ("manual_autograd", "my_linear", "custom_dataset", "collate", "training_loop")
_MISTAKE_MODULES = [importlib.import_module(f"tests.catalogue.mistakes.{m}") for m in MODULES]
_ALTERNATIVE_MODULES = [importlib.import_module(f"tests.catalogue.alternatives.{m}")
                        for m in MODULES]

MISTAKES: list[Mistake] = [m for module in _MISTAKE_MODULES for m in module.MISTAKES]
UNCAUGHT: list[Mistake] = [m for module in _MISTAKE_MODULES
                           for m in getattr(module, "UNCAUGHT", [])]
ALTERNATIVES: list[Alternative] = [a for module in _ALTERNATIVE_MODULES
                                   for a in module.ALTERNATIVES]

# SPEC §2: on a CPU-only machine these three still lose their device points.
DEVICE_CASES = {
    "05_training_loop:device_only_inputs_moved": "05_training_loop/device",
    "05_training_loop:device_hard_coded_cpu": "05_training_loop/device",
    "02_my_linear:device_ignored": "02_my_linear/device_and_dtype",
}


def _label(variant: Mistake | Alternative) -> str:
    return f"{variant.assignment}:{variant.name}"


def _edit(variant: Mistake | Alternative):
    return lambda text: apply(text, variant.edits)


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict[str, SubmissionResult]:
    """Grades every variant, the zeros and the stubs in one batch; results by label."""
    root = tmp_path_factory.mktemp("catalogue")
    folders: dict[str, Path] = {"zeros": ZEROS, "stubs": STUBS}
    for i, variant in enumerate([*MISTAKES, *UNCAUGHT, *ALTERNATIVES]):
        label = _label(variant)
        assert label not in folders, f"two variants are called {label}"
        folders[label] = make_submission(root / f"v{i:03d}", {variant.assignment: _edit(variant)})
    results, elapsed = grade_folders(folders, root / "work", seed=SEED, limits=LIMITS)
    print(f"graded {len(results)} submissions in {elapsed:.1f} s")
    return results

def _by_name(result: SubmissionResult) -> dict[str, AssignmentResult]:
    return {a.name: a for a in result.assignments}


def _failing(assignment: AssignmentResult) -> set[str]:
    return {c.id for c in assignment.checks if c.status != "passed"}


def _others_full(result: SubmissionResult, edited: str) -> None:
    got = {name: (a.status, a.score) for name, a in _by_name(result).items() if name != edited}
    assert got == {name: ("graded", 20.0) for name in ASSIGNMENTS if name != edited}


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_mistake_costs_points_in_its_own_assignment_only(batch, mistake):
    result = batch[_label(mistake)]
    _others_full(result, mistake.assignment)
    own = _by_name(result)[mistake.assignment]
    assert own.status == "graded", own.message
    assert own.score < 20.0


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_mistake_fails_exactly_its_checks(batch, mistake):
    own = _by_name(batch[_label(mistake)])[mistake.assignment]
    assert _failing(own) == set(mistake.fails)


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_mistake_feedback_says_why(batch, mistake):
    own = _by_name(batch[_label(mistake)])[mistake.assignment]
    feedback = [c.feedback for c in own.checks if c.status != "passed"]
    assert any(mistake.feedback in text for text in feedback), feedback


@pytest.mark.parametrize("mistake", UNCAUGHT, ids=_label)
@pytest.mark.xfail(strict=True, reason="a real mistake the checks miss (see UNCAUGHT); "
                                       "once caught, move it to MISTAKES")
def test_uncaught_mistake_loses_points(batch, mistake):
    result = batch[_label(mistake)]
    _others_full(result, mistake.assignment)
    assert _by_name(result)[mistake.assignment].score < 20.0


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=_label)
def test_alternative_gets_full_marks(batch, alternative):
    result = batch[_label(alternative)]
    failing = {c.id: c.feedback for a in result.assignments for c in a.checks
               if c.status != "passed"}
    assert failing == {}
    assert (result.score, result.max_score) == (100.0, 100.0)


@pytest.mark.parametrize("label,check", sorted(DEVICE_CASES.items()))
def test_device_mistakes_lose_device_points_on_cpu(batch, label, check):
    assignment = check.split("/")[0]
    device_check = next(c for c in _by_name(batch[label])[assignment].checks if c.id == check)
    assert device_check.status in ("failed", "error"), device_check.feedback
    assert device_check.points == 0.0 < device_check.max_points


def test_zeros_of_the_right_shapes_score_at_most_10(batch):
    result = batch["zeros"]
    assert result.score <= 10.0, {a.name: a.score for a in result.assignments}


def test_zeros_are_graded_and_lose_points_everywhere(batch):
    assignments = batch["zeros"].assignments
    assert [a.status for a in assignments] == ["graded"] * len(ASSIGNMENTS)
    assert all(a.score < a.max_score / 4 for a in assignments), [a.score for a in assignments]


def test_stubs_score_zero(batch):
    result = batch["stubs"]
    assert result.score == 0.0
    assert {c.status for a in result.assignments for c in a.checks} == {"not_implemented"}


def test_catalogue_is_large_enough():
    per_assignment = {name: sum(m.assignment == name for m in MISTAKES) for name in ASSIGNMENTS}
    assert len(MISTAKES) >= 30 and min(per_assignment.values()) >= 3, per_assignment
    assert len(ALTERNATIVES) >= 12
