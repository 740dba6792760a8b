"""Failures of student code, as the judge reports them.

The sandbox describes a failure as a small dict (see
:mod:`autograder.sandbox.worker`); this module turns that untrusted dict into
a :class:`SandboxFailure` with a named status and a message a beginner can act
on. Every field is type-checked and truncated: a submission can make its own
feedback say odd things, never change its score.

An exception says who raised it: a line of the student's file when one was
running, or else the grader's own call (a scenario's ``load_state_dict``,
say), named and explained in the student's terms, never blamed on "your code".
"""

from __future__ import annotations

import ast
import linecache
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SandboxFailure(Exception):
    """Student code did not produce a value.

    Attributes:
        status: ``not_implemented``, ``error`` or ``timeout`` (SPEC §3).
        feedback: Student-safe explanation.
        detail: Traceback or log for instructors.
        cause: Names the root cause (the student's quantity at fault, or the
            raising line), or "": a later check of the same part that fails for
            the same cause refers back instead of repeating it.
        lead: How such a later check's feedback begins (who raised, in short).
        summary: What a later check quotes of this failure.
    """

    def __init__(self, status: str, feedback: str, detail: str = "", *, cause: str = "",
                 lead: str = "", summary: str = "") -> None:
        super().__init__(feedback)
        self.status = status
        self.feedback = feedback
        self.detail = detail
        self.cause = cause
        self.lead = lead or feedback
        self.summary = summary or feedback


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
    if not isinstance(where, dict) or type(where.get("line")) is not int:
        return _grader_raised(name, message, error.get("traceback"), detail)
    located = describe_where(where)
    explained = explain(message)
    text = " ".join(f"{message} ({explained})".split()) if explained else message
    lead = f"Your code raised {name}{located}"
    return SandboxFailure("error", f"{lead}: {text}.", detail, lead=lead,
                          cause=f"{name} at {where.get('file')}:{where['line']}",
                          summary=f"{name}: {text}")


def _grader_raised(name: str, message: str, trace: Any, detail: str) -> SandboxFailure:
    """An exception with no student frame: the grader's own call raised it."""
    call = grader_call(trace if isinstance(trace, str) else "")
    flat = " ".join(message.split())
    attribute = re.search(r"has no attribute '(\w+)'", flat)
    if call == "" and name == "AttributeError" and attribute is not None:
        call = attribute.group(1)  # the grader read or called that attribute
    if call is None:
        return SandboxFailure(
            "error", f"The grader's code for this check raised {name} while no line of your "
            f"code was running: {flat}. Look at what your code built or returned before.",
            detail, cause=f"{name}: {_shapeless(flat)}")
    called = f"The grader's call to `{call}`" if call else "The grader's call"
    reason = load_state_dict_reason(flat)
    if reason is not None:
        why, cause = reason
        return SandboxFailure("error", f"{called} raised {name} because {why}.", detail,
                              cause=cause, lead=f"{called} failed", summary=why)
    lead = f"{called} raised {name}"
    return SandboxFailure(
        "error", f"{lead}: {flat}. No line of your code was running when it failed: the "
        "cause is in what your code built or returned before this call (its attributes, "
        "shapes or dtypes).", detail, cause=f"{call}: {name}: {_shapeless(flat)}", lead=lead,
        summary=f"{name}: {flat}")


_PACKAGE = Path(__file__).resolve().parents[1]
"""The grader's own code (scenarios): frames there are the grader's, not the student's."""
_MACHINERY = Path(__file__).resolve().parent
"""The sandbox's machinery, which calls scenarios: never the call that failed."""
_FRAME = re.compile(r'^  File "(?P<file>[^"\n]+)", line (?P<line>\d+), in (?P<function>\S+)$',
                    re.MULTILINE)
_CHAINED = re.compile(r"^(?:During handling of the above exception, another exception "
                      r"occurred|The above exception was the direct cause of the following "
                      r"exception):$", re.MULTILINE)


@dataclass(frozen=True)
class _Frame:
    file: str
    line: int
    function: str


def grader_call(trace: str) -> str | None:
    """The name of what the grader called when an exception with no student frame rose.

    Reads the last exception of a formatted traceback: the innermost frame in
    the grader's scenarios is the grader's line; the frame it called names the
    call (``load_state_dict``), or else the line's outermost call does. The
    line is read from the grader's own file, not from the sandbox's text.

    Returns:
        The name; "" when the grader's line was found but names no call; None
        when no frame is the grader's.
    """
    last = _CHAINED.split(trace)[-1]
    frames = [_Frame(m["file"], int(m["line"]), m["function"]) for m in _FRAME.finditer(last)]
    ours = [(i, path) for i, f in enumerate(frames) if (path := _grader_file(f.file))]
    if not ours:
        return None
    index, path = ours[-1]
    inner = frames[index + 1].function if index + 1 < len(frames) else ""
    if inner.isidentifier() and not inner.startswith("_"):
        return inner
    return _outer_call(linecache.getline(str(path), frames[index].line)) or inner


def _grader_file(file: str) -> Path | None:
    """The judge's copy of a grader file a sandbox frame names, or None for any other file.

    The sandbox may see the package at another path (a jail's mount), so a
    file also counts by its path inside a folder called ``autograder``.
    """
    path = Path(os.path.realpath(file))
    if not path.is_relative_to(_PACKAGE):
        _, found, inside = file.rpartition(f"/{_PACKAGE.name}/")
        path = (_PACKAGE / inside).resolve()
        if not found or not inside or not path.is_relative_to(_PACKAGE) or not path.is_file():
            return None
    return None if path.is_relative_to(_MACHINERY) else path


def _outer_call(code: str) -> str:
    """The function or method that the outermost call of one line of code calls."""
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute):
                return function.attr
            if isinstance(function, ast.Name):
                return function.id
    return ""


def _shapeless(message: str) -> str:
    """A message with its numbers blanked: the same failure at other sizes reads alike."""
    return re.sub(r"\d+", "#", message)[:200]


_STATE_DICT_OWNER = re.compile(r"loading state_dict for (\w+)")
_KEYS = re.compile(r'(Unexpected|Missing) key\(s\) in state_dict: ((?:"[^"]*"(?:, )?)+)')
_SIZE = re.compile(r"size mismatch for ([\w.]+): copying a param with shape "
                   r"torch\.Size\(\[([\d, ]*)\]\) from checkpoint, the shape in current "
                   r"model is torch\.Size\(\[([\d, ]*)\]\)")


def load_state_dict_reason(message: str) -> tuple[str, str] | None:
    """Why ``load_state_dict`` refused a state, in the student's terms, and its cause.

    The cause names the parameter at fault, so that a check that already
    reported it (``cause="weight"``) is referred to instead of repeated.
    """
    owner_match = _STATE_DICT_OWNER.search(message)
    if owner_match is None:
        return None
    owner = owner_match.group(1)
    size = _SIZE.search(message)
    if size is not None:
        name, loaded, current = size.group(1), size.group(2), size.group(3)
        return (f"your {owner}'s `{name}` has shape ({_dims(current)}), but the state_dict it "
                f"was given has shape ({_dims(loaded)}) for `{name}`", name)
    found = {kind: re.findall(r'"([^"]*)"', keys) for kind, keys in _KEYS.findall(message)}
    if "Unexpected" in found and "Missing" in found:
        names = found["Unexpected"]
        return (f"the state_dict it was given holds {_listed(names)}, but your {owner} "
                f"registers {_listed(found['Missing'])} instead: a parameter is named after "
                "the attribute it is assigned to", names[0])
    if "Unexpected" in found:
        names = found["Unexpected"]
        return (f"the state_dict it was given holds {_listed(names)}, which your {owner} does "
                "not register: only nn.Parameter attributes, buffers and submodules are part "
                "of a module's state_dict, and a plain tensor attribute is not", names[0])
    if "Missing" in found:
        names = found["Missing"]
        return (f"your {owner} registers {_listed(names)}, which the state_dict it was given "
                "does not hold", names[0])
    return None


def _dims(text: str) -> str:
    dims = [d.strip() for d in text.split(",") if d.strip()]
    return dims[0] + "," if len(dims) == 1 else ", ".join(dims)


def _listed(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names[:5]]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


_EXPLANATIONS = (
    ("Torch not compiled with CUDA enabled",
     "this machine has no CUDA GPU, so .cuda() and device='cuda' fail here: use the device "
     "of the inputs or the device argument instead"),
    ("does not require grad and does not have a grad_fn",
     "backward() was called on a result that no tensor with requires_grad=True went into"),
    ("to have the same dtype",
     "the two operands have different dtypes (double is float64, float is float32): a tensor "
     "created without dtype= gets the default, float32"),
)


def explain(message: str) -> str:
    """What a well-known PyTorch error means for a beginner, or ""."""
    return next((text for fragment, text in _EXPLANATIONS if fragment in message), "")


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
