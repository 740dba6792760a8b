"""Gradescope: the autograder ``.zip`` and the ``results.json`` it writes.

- :mod:`.bundle`: ``torchgrade gradescope OUT.zip`` builds the archive to
  upload (``setup.sh``, ``run_autograder``, torchgrade's wheel, the grader
  bundle).
- :mod:`.run`: what ``run_autograder`` runs on Gradescope for each
  submission (``python -m autograder.platforms.gradescope.run``).
- :mod:`.results`: the result model as Gradescope's ``results.json``, by
  pure functions.
"""

from __future__ import annotations

from autograder.platforms.gradescope.results import not_graded, to_gradescope

# Not .bundle: it imports torch, and ``python -m ...gradescope.run`` imports this
# package before .run can pause the collector for torch's import (see .run).
__all__ = ["not_graded", "to_gradescope"]
