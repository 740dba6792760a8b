"""torchgrade: auto-graded exercises and assignments for PyTorch fundamentals.

The package is split along the trust boundary described in DESIGN.md: the
judge (``autograder.judge``) runs checks and never imports student code; the
sandbox (``autograder.sandbox``) loads a submission in a separate, limited
process and only ever sends data back.
"""

from __future__ import annotations

__version__ = "0.1.0"
