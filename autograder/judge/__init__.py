"""The judge: checks, comparisons and the pytest session that grades submissions.

Check modules import their tools from here::

    from autograder.judge import assert_close, assert_like, check, expect, field
"""

from __future__ import annotations

from autograder.judge.compare import CheckFailure, assert_close, assert_like, expect, fail, field
from autograder.judge.declare import CheckSpec, check

__all__ = ["CheckFailure", "CheckSpec", "assert_close", "assert_like", "check", "expect", "fail",
           "field"]
