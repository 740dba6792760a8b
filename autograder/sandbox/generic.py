"""Scenarios that fit any assignment: call one public function of the student module.

Scenarios run inside the sandbox (see :mod:`autograder.sandbox.worker`); they
must be module-level functions so that the sandbox can import them by name.
"""

from __future__ import annotations

from typing import Any


def call(mod: Any, function: str, args: list[Any] | tuple[Any, ...] = (),
         kwargs: dict[str, Any] | None = None) -> Any:
    """Returns ``mod.<function>(*args, **kwargs)``."""
    return getattr(mod, function)(*args, **(kwargs or {}))
