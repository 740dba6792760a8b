# target: 02_my_linear
# base: stub
# expect: not_implemented
"""Patches pytest, and torchgrade's own comparison helpers, wherever it can reach them.

It imports pytest and the grader's modules into its own process, makes
``pytest.fail``/``approx``, reports and outcomes say "passed", replaces
``autograder.judge.compare``'s helpers with no-ops, and patches every
pytest object it finds on the heap. None of this is the judge's pytest:
the checks run in another process, and the stub earns nothing.
"""
import gc
import sys

import _pytest.outcomes
import _pytest.reports
import _pytest.runner
import pytest


class _Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def _quiet(*args, **kwargs):
    return None


pytest.fail = _pytest.outcomes.fail = _quiet
pytest.approx = lambda *args, **kwargs: _Anything()
_pytest.reports.TestReport.outcome = "passed"
_pytest.reports.TestReport.passed = True
_pytest.reports.TestReport.failed = False
_pytest.runner.CallInfo.excinfo = None
try:
    import autograder.judge.compare as compare

    for name in dir(compare):
        if name.startswith(("assert", "expect", "check")) and callable(getattr(compare, name)):
            setattr(compare, name, _quiet)
except Exception:  # noqa: BLE001 - whatever this process lacks
    pass
for module in list(sys.modules.values()):
    for name in ("assert_close", "expect", "assert_equal"):
        if callable(getattr(module, name, None)):
            try:
                setattr(module, name, _quiet)
            except (AttributeError, TypeError):
                pass
for thing in gc.get_objects():
    if isinstance(thing, (pytest.Session, pytest.Config)):
        thing.testsfailed = 0
