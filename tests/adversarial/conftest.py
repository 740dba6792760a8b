"""The hostile batch: graded once per test module, cleaned up after it.

See :mod:`tests.adversarial.harness` for what is run and collected, and
``SECURITY.md`` for the guarantees the tests hold the grader to.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.adversarial.harness import HostileRun, clean_up, grade_hostile_class


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    """Every attack and control graded in one ``torchgrade grade`` batch."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the hostile batch watches /proc: Linux only")
    run = grade_hostile_class(tmp_path_factory.mktemp("hostile"))
    try:
        yield run
    finally:
        clean_up(run)
