"""The start of a process torchgrade owns: its imports without the cyclic collector.

Importing torch, pytest and the kit builds about a million objects, and
CPython's cyclic garbage collector traverses all of them each time their
number has grown by a quarter: about 0.4 of the 1.4 s these imports take
here, looking for garbage that imports hardly leave. The ``torchgrade``
command, Gradescope's run, every judge of a pool and the zygote call
:func:`own` first thing: the collector pauses and torch's compiler stack
waits for a real use (:mod:`autograder.sandbox.compiler`). The first
grading session (the zygote: the end of its warm-up) calls :func:`settle`,
which freezes what the imports built (no collection traverses it again) and
resumes the collector, so grading many submissions, and the sandboxes,
collect their garbage as usual. Elsewhere, in a notebook or a test run,
neither is called and the process keeps its own settings.
"""

from __future__ import annotations

import gc

from autograder.sandbox import compiler

_paused = False


def own() -> None:
    """For the first line of a process torchgrade owns; see the module's docstring."""
    global _paused
    compiler.defer()
    if gc.isenabled():
        gc.disable()
        _paused = True


def settle() -> None:
    """Once imports are done: freezes what exists and resumes the collector :func:`own` paused."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
