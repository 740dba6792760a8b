"""The whole catalogue graded once per test session, in one batch.

``tests/test_catalogue.py`` judges the verdicts and ``tests/test_feedback_rules.py``
the wording of the same results, so the variants are graded once for both:
every variant is a full submission (the reference with one assignment's file
edited), beside a submission of zeros and the stubs of the student release.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.catalogue import Alternative, Mistake, apply, load_catalogue
from autograder.registry import discover
from autograder.results import SubmissionResult
from autograder.sandbox.client import Limits

SEED = 2024
LIMITS = Limits(call_seconds=10.0, load_seconds=10.0, after_timeout_seconds=0.5)
CATALOGUE_DIR = Path(__file__).resolve().parent
ZEROS = CATALOGUE_DIR / "zeros"
STUBS = CATALOGUE_DIR.parents[1] / "assignments"
ASSIGNMENTS = tuple(a.name for a in discover())
CATALOGUE = load_catalogue(CATALOGUE_DIR, assignments=ASSIGNMENTS)


def _edit(variant: Mistake | Alternative):
    return lambda text: apply(text, variant.edits)


@pytest.fixture(scope="session")
def catalogue_batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SubmissionResult]:
    """Grades every variant, the zeros and the stubs in one batch; results by label."""
    from tests.conftest import grade_folders, make_submission  # conftest imports this module

    root = tmp_path_factory.mktemp("catalogue")
    folders: dict[str, Path] = {"zeros": ZEROS, "stubs": STUBS}
    variants = [*CATALOGUE.mistakes, *CATALOGUE.uncaught, *CATALOGUE.alternatives]
    for i, variant in enumerate(variants):
        folders[variant.label] = make_submission(root / f"v{i:03d}",
                                                 {variant.assignment: _edit(variant)})
    results, elapsed = grade_folders(folders, root / "work", seed=SEED, limits=LIMITS)
    print(f"graded {len(results)} submissions in {elapsed:.1f} s")
    return results
