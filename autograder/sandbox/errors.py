"""Failures of student code, as the judge reports them.

The sandbox describes a failure as a small dict (see
:mod:`autograder.sandbox.worker`); this module turns that untrusted dict into
a :class:`SandboxFailure` with a named status and a message a beginner can act
on. Every field is type-checked and truncated: a submission can make its own
feedback say odd things, never change its score.
"""

from __future__ import annotations

from typing import Any


class SandboxFailure(Exception):
    """Student code did not produce a value.

    Attributes:
        status: ``not_implemented``, ``error`` or ``timeout`` (SPEC §3).
        feedback: Student-safe explanation.
        detail: Traceback or log for instructors.
    """

    def __init__(self, status: str, feedback: str, detail: str = "") -> None:
        super().__init__(feedback)
        self.status = status
        self.feedback = feedback
        self.detail = detail


def _text(value: Any, limit: int = 300) -> str:
    text = value.strip() if isinstance(value, str) else ""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.rstrip(".")  # the sentences around it supply the full stop


def describe_where(where: Any) -> str:
    """``" (line 12 of my_linear.py, in forward: `x @ w`)"`` or ``""``."""
    if not isinstance(where, dict) or type(where.get("line")) is not int:
        return ""
    text = f"line {where['line']} of {_text(where.get('file'), 80)}"
    function = _text(where.get("function"), 80)
    if function and function != "<module>":
        text += f", in {function}"
    code = _text(where.get("code"), 120)
    if code:
        text += f": `{code}`"
    return f" ({text})"


def from_load_error(error: Any, filename: str) -> SandboxFailure:
    """The failure of importing ``filename``: the assignment cannot be graded."""
    error = error if isinstance(error, dict) else {}
    kind, where = error.get("kind"), describe_where(error.get("where"))
    name, message = _text(error.get("type"), 80), _text(error.get("message"))
    detail = _text(error.get("traceback"), 8000)
    if kind == "syntax":
        text = (f"Python could not read {filename}: {message}{where}. "
                "Fix the syntax error, then run the checks again.")
    elif kind == "exit":
        text = (f"{filename} called exit() while being imported{where}. "
                "Remove calls to exit()/sys.exit() from the top level of your file.")
    else:
        text = (f"Importing {filename} raised {name}: {message}{where}. Code at the top "
                "level of a file runs when it is imported: keep work inside functions.")
    return SandboxFailure("error", text, detail)


def from_call_error(error: Any) -> SandboxFailure:
    """The failure of one scenario call: that check fails, grading goes on."""
    error = error if isinstance(error, dict) else {}
    kind, where = error.get("kind"), error.get("where")
    name, message = _text(error.get("type"), 80), _text(error.get("message"))
    detail = _text(error.get("traceback"), 8000)
    function = _text(where.get("function"), 80) if isinstance(where, dict) else ""
    if kind == "missing_name":
        close = _text(error.get("close"), 80)
        return SandboxFailure(
            "error", f"Your file defines no `{message}`, which this check uses"
            + (f" (it defines `{close}`: a typo?)" if close else "")
            + ". Define it with exactly this name at the top level of your file (in a "
            "notebook: in a code cell, not a markdown cell).", detail)
    if kind == "not_implemented":
        subject = f"`{function}`" if function else "This part"
        return SandboxFailure(
            "not_implemented",
            f"{subject} is not implemented yet (it raises NotImplementedError).", detail)
    if kind == "internal":
        return SandboxFailure(
            "error", "The grader could not run this check; tell your instructor.",
            message)
    if kind == "bad_value":
        return SandboxFailure(
            "error", f"Your code returned a value that cannot be graded: {message}.", detail)
    if kind == "exit":
        return SandboxFailure(
            "error", f"Your code called exit(){describe_where(where)}; functions must return.",
            detail)
    return SandboxFailure(
        "error", f"Your code raised {name}: {message}{describe_where(where)}.", detail)


def hard_exit(note: Any, filename: str, *, loading: bool) -> SandboxFailure:
    """The process was ended on purpose (``os._exit``, ``os.kill``…)."""
    note = note if isinstance(note, dict) else {}
    function = _text(note.get("function"), 40) or "an exit function"
    when = "while being imported" if loading else "while running"
    return SandboxFailure(
        "error",
        f"{filename} called os.{function}() {when}{describe_where(note.get('where'))}, "
        "which ends the process. Remove it: the grader needs your functions to return.")


def crashed(filename: str, *, loading: bool, output: str) -> SandboxFailure:
    """The process ended without a word: a crash, a signal or a resource limit."""
    when = "while importing" if loading else "while running"
    return SandboxFailure(
        "error",
        f"The process running {filename} stopped {when} without an answer: it crashed, "
        "was killed, or ran past the memory or CPU limit. Look for very large tensors, "
        "endless recursion, or code that ends the process.", output)


def timed_out(filename: str, seconds: float, where: str, *, loading: bool) -> SandboxFailure:
    """A call or the import ran past its time limit."""
    what = f"Importing {filename}" if loading else "Your code"
    hint = (" Look for a loop that never ends." if where
            else " Look for a loop that never ends or work that is far too large.")
    return SandboxFailure(
        "timeout", f"{what} did not finish within {seconds:g} s{where}.{hint}")
