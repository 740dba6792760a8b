"""Rules every message obeys, checked on the feedback of every catalogued mistake.

Each mistake of ``tests/catalogue`` is graded once per session (with the
rest of the catalogue, :mod:`tests.catalogue.grading`), rendered as a
student reads it (:func:`autograder.results.feedback.render_feedback`), and
its failing checks are held to the rules: no index path a beginner cannot
read, an error says who raised it (a line of the student's file, or the
grader's call), numbers agree with their nouns, one root cause is told once
per part, and no hint contradicts what the mistake's code already does (the
entry's ``forbidden_hints``).
"""

from __future__ import annotations

import re
import traceback
import types
from collections import Counter
from dataclasses import replace

import pytest
import torch
from torch import nn

from autograder.assignments.my_linear import scenarios as my_linear_scenarios
from autograder.catalogue import Mistake
from autograder.judge.causes import Causes
from autograder.registry import discover
from autograder.release.checks_table import collect
from autograder.results import CheckResult, SubmissionResult
from autograder.results.feedback import SYMBOLS, render_feedback
from autograder.sandbox.errors import from_call_error
from tests.catalogue.grading import CATALOGUE

MISTAKES = list(CATALOGUE.mistakes)
PARTS = {row.spec.id: row.spec.part for assignment in discover() for row in collect(assignment)}

# An index path glued on by code, not written for a person: an integer subscript after
# another subscript (['train_loss'][0], [0][1]), a subscript on a bare number
# ("batch 2['0.weight']"), or three subscripts in a row.
INDEX_PATHS = (re.compile(r"\]\[-?\d+\]"), re.compile(r"(?:^|[\s(])\d+\["),
               re.compile(r"(?:\[[^\[\]]*\]){3,}"))
# A number that disagrees with its noun: "1 entries", "should have 1 entries", "3 entry".
COUNTS = (re.compile(r"\b1 (?:entries|values|items|keys|batches|losses|samples|tokens)\b"),
          re.compile(r"(?<![\d.,])(?:0|[2-9]|\d{2,}) (?:entry|value|item|key|batch|sample|token)"
                     r"\b(?! of)"))
STUDENT_LINE = re.compile(r"\bline \d+ of [\w.-]+\.(?:py|ipynb)\b")
GRADER_CALL = re.compile(r"\bthe grader's call to `[\w.]+`", re.IGNORECASE)
HINT = re.compile(r"Hint: (.*)$")


def _label(mistake: Mistake) -> str:
    return mistake.label


def _rendered(result: SubmissionResult, assignment: str) -> list[tuple[CheckResult, str]]:
    """Each failing check of ``assignment`` with its feedback as rendered, on one line."""
    own = next(a for a in result.assignments if a.name == assignment)
    text = render_feedback(replace(result, assignments=(own,)), show_hidden=True)
    heads = tuple(f"  {symbol} " for symbol in SYMBOLS.values())
    blocks: list[list[str]] = []
    for line in text.splitlines()[3:]:  # the title, a blank line, the assignment's line
        if line.startswith(heads):
            blocks.append([])
        elif blocks and line.startswith(" "):
            blocks[-1].append(line.strip())
    assert len(blocks) == len(own.checks), text
    return [(check, " ".join(block)) for check, block in zip(own.checks, blocks, strict=True)
            if check.status != "passed"]


@pytest.fixture(scope="module")
def rendered(catalogue_batch) -> dict[str, list[tuple[CheckResult, str]]]:
    return {m.label: _rendered(catalogue_batch[m.label], m.assignment) for m in MISTAKES}


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_feedback_has_no_index_paths(rendered, mistake):
    bad = [(check.id, pattern.search(text).group(0)) for check, text in rendered[mistake.label]
           for pattern in INDEX_PATHS if pattern.search(text)]
    bad += [(check.id, path) for check, text in rendered[mistake.label]
            for path in _subscripted_asides(text)]
    assert bad == []


def _subscripted_asides(text: str) -> list[str]:
    """``(...)[...]`` where the parentheses are an aside, not a call: "(3 epochs)['x']"."""
    found = []
    for match in re.finditer(r"\)\[", text):
        depth, start = 0, match.start()
        for i in range(match.start(), -1, -1):
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                start = i
                break
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_]"):
            found.append(text[max(start - 20, 0): match.end() + 10])
    return found


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_errors_say_who_raised(rendered, mistake):
    """A student line (file:line) when student code raised, else the grader's call, named."""
    vague = [(check.id, text) for check, text in rendered[mistake.label]
             if check.status == "error" and not STUDENT_LINE.search(text)
             and not GRADER_CALL.search(text)]
    assert vague == []
    blamed = [(check.id, text) for check, text in rendered[mistake.label]
              if text.startswith("Your code raised") and not STUDENT_LINE.search(text)]
    assert blamed == []


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_numbers_agree_with_their_nouns(rendered, mistake):
    bad = [(check.id, match.group(0)) for check, text in rendered[mistake.label]
           for pattern in COUNTS for match in pattern.finditer(text)]
    assert bad == []


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_no_hint_contradicts_the_code(rendered, mistake):
    """The catalogue entry lists advice its code already follows; no feedback gives it."""
    said = [(check.id, hint) for check, text in rendered[mistake.label]
            for hint in mistake.forbidden_hints if hint in text]
    assert said == []


@pytest.mark.parametrize("mistake", MISTAKES, ids=_label)
def test_a_root_cause_is_told_once_per_part(rendered, mistake):
    """Later checks of a part refer back to a cause told above instead of echoing it."""
    by_part: dict[object, list[str]] = {}
    for check, text in rendered[mistake.label]:
        by_part.setdefault(PARTS[check.id], []).append(text)
    for part, texts in by_part.items():
        hints = Counter(m.group(1) for text in texts if (m := HINT.search(text)))
        assert [h for h, n in hints.items() if n > 1] == [], part
        echoes = Counter(t for t in texts if "the check above" not in t)
        assert [t for t, n in echoes.items() if n > 1] == [], part


def test_every_mistake_declares_the_advice_it_must_not_get():
    """Most entries know a hint that would be wrong for them; the rule must have teeth."""
    assert sum(bool(m.forbidden_hints) for m in MISTAKES) >= len(MISTAKES) * 3 // 4


@pytest.mark.parametrize("text,rule", [
    ("The list from named_parameters()[0][1][0] should be 4 but is 7.", INDEX_PATHS),
    ("The history fit returned for 3 epochs['train_loss'][0] should be about 4.2.",
     INDEX_PATHS),
    ("The gradients that optimizer.step() used for batch 2['0.weight'] differ.", INDEX_PATHS),
    ("The state_dict keys should have 1 entries but has 0.", COUNTS),
    ("dataset[0]['label'] does not match: 1 of 1 values differ.", COUNTS),
])
def test_the_rules_catch_what_they_are_for(text, rule):
    assert any(pattern.search(text) for pattern in rule)


@pytest.mark.parametrize("text", [
    "pad_collate(batch, pad_value=-1)['input_ids'] for sequences of lengths [1, 0, 7]",
    "dataset[1]['input_ids'] for the text 'CEDAR Prairie'; RegressionDataset(0)[-1]",
    "'0.weight' in the parameters after one epoch: 24 of 24 values differ, 1 of 35 values",
    "Entry 0 of 'train_loss' in the history fit returned for 3 epochs is a list of 1 value.",
])
def test_the_rules_let_readable_feedback_pass(text):
    assert not any(pattern.search(text) for pattern in (*INDEX_PATHS, *COUNTS))
    assert _subscripted_asides(text) == []


def test_an_aside_with_a_subscript_is_caught():
    assert _subscripted_asides("after resuming (compared with 3 epochs)['0.weight'] differs")


def test_the_transposed_weight_is_told_once_in_the_students_terms(rendered):
    feedback = {check.id.split("/")[1]: text
                for check, text in rendered["02_my_linear:weight_in_out_layout"]}
    cause = ("weight has shape (7, 4); MyLinear(7, 4) needs (4, 7), i.e. (out_features, "
             "in_features).")
    assert feedback.pop("parameters_registered").startswith(cause)
    assert set(feedback.values()) == {"The grader's call to `load_state_dict` failed, for the "
                                      "reason given in the check above: " + cause}


# The engine pieces the rules rest on, on their own.

WHERE = ((0, "02_my_linear"), "MyLinear")
FIRST = "weight has shape (7, 4); MyLinear(7, 4) needs (4, 7)."


def test_a_cause_told_above_is_referred_to_not_repeated():
    causes = Causes()
    assert causes.refer_back(WHERE, cause="weight", public=True, lead=FIRST,
                             summary=FIRST) is None
    assert causes.refer_back(
        WHERE, cause="weight", public=True, lead="The grader's call to `load_state_dict` failed",
        summary="unused") == ("The grader's call to `load_state_dict` failed, for the reason "
                              "given in the check above: " + FIRST)
    assert causes.refer_back(WHERE, cause="weight", public=True, lead=FIRST,
                             summary=FIRST) == FIRST[:-1] + ", as in the check above."
    assert causes.refer_back(WHERE, cause="weight", public=True,
                             lead="The state_dict lacks 'weight'.", summary="unused") == (
        "The state_dict lacks 'weight'. See the check above: " + FIRST)


def test_a_cause_is_told_in_full_elsewhere_and_when_not_shown_above():
    causes = Causes()
    assert causes.refer_back(WHERE, cause="weight", public=False, lead=FIRST,
                             summary=FIRST) is None  # a hidden check's feedback is not shown
    assert causes.refer_back(WHERE, cause="weight", public=True, lead=FIRST,
                             summary=FIRST) is None
    for where in (((1, "02_my_linear"), "MyLinear"), ((0, "02_my_linear"), None)):
        assert causes.refer_back(where, cause="weight", public=True, lead="x.",
                                 summary="x.") is None
    assert causes.refer_back(WHERE, cause="", public=True, lead=FIRST, summary=FIRST) is None


def _raised(call) -> dict[str, object]:
    """What the sandbox reports for an exception: no student frame, the real traceback."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - any exception is the subject here
        return {"kind": "exception", "type": type(error).__name__, "message": str(error),
                "where": None, "traceback": "".join(traceback.format_exception(error))}
    raise AssertionError("the call did not raise")


class _PlainWeight(nn.Module):
    """A student's MyLinear whose weight is a plain tensor: not in its state_dict."""

    def __init__(self, in_features: int, out_features: int, **_: object) -> None:
        super().__init__()
        self.weight = torch.empty(out_features, in_features)
        self.bias = nn.Parameter(torch.zeros(out_features))


def test_an_exception_in_the_graders_call_names_that_call_and_why():
    student = types.SimpleNamespace(MyLinear=_PlainWeight)
    report = _raised(lambda: my_linear_scenarios.state_dict_round_trip(
        student, weight=torch.ones(4, 7), bias=torch.ones(4), x=torch.ones(2, 7)))
    failure = from_call_error(report)
    assert failure.feedback == (
        "The grader's call to `load_state_dict` raised RuntimeError because the state_dict it "
        "was given holds `weight`, which your _PlainWeight does not register: only "
        "nn.Parameter attributes, buffers and submodules are part of a module's state_dict, "
        "and a plain tensor attribute is not.")
    assert failure.cause == "weight" and "Traceback" in failure.detail


def test_an_unknown_exception_in_the_graders_call_is_still_not_blamed_on_the_student():
    student = types.SimpleNamespace(MyLinear=lambda *args, **kwargs: None)
    failure = from_call_error(_raised(lambda: my_linear_scenarios.structure(
        student, in_features=3, out_features=2, bias=True)))
    assert failure.feedback.startswith("The grader's call to `named_parameters` raised "
                                       "AttributeError: 'NoneType' object has no attribute")
    assert "No line of your code was running" in failure.feedback
