"""The trust boundary is in the engine: a malformed answer fails its check, never the batch.

Scenarios are trusted code, but they run in the student's process, so a
submission can patch what they return: keys deleted, values of the wrong
type, huge values. Each such answer must cost only the checks that read it,
with a message, while the rest of the submission and the rest of the batch
are graded as usual (a failed batch would raise ``InternalError`` here).
"""

from __future__ import annotations

import pytest

from autograder.results import SubmissionResult
from autograder.sandbox.client import Limits
from tests.conftest import SOLUTIONS, grade_folders, make_submission

LIMITS = Limits(call_seconds=5.0, load_seconds=5.0)

PATCH_01 = '''

import autograder.assignments.manual_autograd.scenarios as _scenarios


def _wrong_types(mod, **args):
    # Every key is there, every value has the wrong type.
    return {"losses": 5, "loss_types": 7, "grads": "none", "w1": [1, 2], "w2": None,
            "same_storage": None, "is_leaf": 3.5, "requires_grad": {"a": 1}}


_scenarios.sgd_steps = _wrong_types
'''

PATCH_02 = '''

import autograder.assignments.my_linear.scenarios as _scenarios


def _no_keys(mod, **args):
    return {}


def _huge(mod, **args):
    return {"out": torch.zeros(1000, 1000), "back_weight": "x" * 900_000,
            "back_bias": 10 ** 300}


def _not_a_dict(mod, **args):
    return 42


_scenarios.structure = _no_keys
_scenarios.state_dict_round_trip = _huge
_scenarios.forward_backward = _not_a_dict
'''

PATCH_05 = '''

import autograder.assignments.training_loop.scenarios as _scenarios


def _half_answer(mod, **args):
    return {"readable": True}


_scenarios.checkpoint_file = _half_answer
'''

LOSING = {
    "01_manual_autograd": {"sgd_step_in_place", "sgd_step_returns_loss",
                           "sgd_step_zeroes_gradients"},
    "02_my_linear": {"parameters_registered", "without_bias", "state_dict_interchangeable",
                     "forward_and_gradients"},
    "05_training_loop": {"checkpoint_file"},
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SubmissionResult]:
    root = tmp_path_factory.mktemp("patched")
    folders = {
        "patched": make_submission(root / "patched", {
            "01_manual_autograd": lambda text: text + PATCH_01,
            "02_my_linear": lambda text: text + PATCH_02,
            "05_training_loop": lambda text: text + PATCH_05}),
        "reference": SOLUTIONS,
    }
    results, _ = grade_folders(folders, root / "work", seed=31, limits=LIMITS)
    return results


def test_patched_answers_lose_only_the_checks_that_read_them(batch):
    for assignment in batch["patched"].assignments:
        losing = LOSING.get(assignment.name, set())
        for check in assignment.checks:
            short = check.id.split("/", 1)[1]
            if short in losing:
                assert check.status == "failed" and check.points == 0, (check.id, check)
            else:
                assert check.status == "passed", (check.id, check.feedback)
    assert batch["patched"].score == 100 - 7 - 13 - 1


def test_each_lost_check_says_why_in_a_few_lines(batch):
    checks = {c.id.split("/", 1)[1]: c for a in batch["patched"].assignments for c in a.checks}
    # A key deleted from the answer.
    assert "record 'keys' did not come back from your code" in checks["checkpoint_file"].feedback
    assert ("record of the weight ('weight_is_parameter') did not"
            in checks["parameters_registered"].feedback)
    # Values of the wrong type, read by the check itself.
    assert checks["sgd_step_in_place"].feedback.startswith(
        "The grader could not use what your code gave back (TypeError")
    # A huge value is named, not printed.
    assert "should be a tensor but is a str" in checks["state_dict_interchangeable"].feedback
    assert all(len(c.feedback) < 2500 for c in checks.values())
    assert "Traceback" in checks["sgd_step_in_place"].detail  # instructors get the trace


def test_the_rest_of_the_batch_is_graded_normally(batch):
    assert batch["reference"].score == 100.0
