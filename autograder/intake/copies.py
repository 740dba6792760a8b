"""Which of a student's two copies to grade: the one further from the stub.

The student release ships every assignment twice, as ``<module>.py`` and as
``<module>.ipynb``, and a student works in one of them. When both are handed
in (or ``torchgrade check`` finds both in the working copy), grading the
untouched one would show a student who did the work in the notebook nothing
but ``TODO``. A stub body is the ``raise NotImplementedError("<name> is not
implemented yet: ...")`` that :func:`autograder.release.stubs.make_stub`
writes, and a copy is *untouched* while every function in it is still only
its docstring and that stub body.

:func:`pick` grades the edited copy when the other is untouched, the ``.py``
when both are untouched or both define the same code, and otherwise the
copy with fewer stub bodies left (:func:`choose`), saying so in a note: only
then is there something the student should know, so a pristine bundle is
graded without a word about "two copies". The rules read content only, never
timestamps, so the same files always give the same choice; a tie goes to the
``.py`` file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from autograder.intake.notebook import NotebookError, notebook_to_source

NOT_IMPLEMENTED = "is not implemented yet"
"""What the message of every stub body says after the name (make_stub writes it)."""
# What make_stub writes in place of each solution block (one line).
_STUB_BODY = re.compile(
    r"^[ \t]*raise NotImplementedError\(\"[^\n]* " + re.escape(NOT_IMPLEMENTED) + ": ",
    re.MULTILINE)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _code(path: Path) -> str | None:
    """The Python code of a ``.py`` or ``.ipynb``, or None when it cannot be read."""
    try:
        if path.suffix == ".ipynb":
            return notebook_to_source(path)
        return path.read_bytes().decode("utf-8", errors="replace")
    except (OSError, NotebookError):
        return None


def stub_bodies_left(path: Path) -> int | None:
    """How many generated stub bodies ``path`` (a ``.py`` or ``.ipynb``) still holds.

    Returns:
        The count, or None when the file cannot be read as code.
    """
    code = _code(path)
    return None if code is None else len(_STUB_BODY.findall(code))


def untouched(path: Path) -> bool | None:
    """Whether ``path`` is still the stub as released: every function only a stub body.

    A copy that does not parse, or defines no function, has been edited.

    Returns:
        True or False, or None when the file cannot be read as code.
    """
    code = _code(path)
    if code is None:
        return None
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    functions = [node for node in ast.walk(tree) if isinstance(node, _FUNCTIONS)]
    return bool(functions) and all(_is_stub(function.body) for function in functions)


def _is_stub(body: list[ast.stmt]) -> bool:
    """A function body that is an optional docstring and the generated ``raise``."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    raised = body[0].exc
    return (isinstance(raised, ast.Call) and isinstance(raised.func, ast.Name)
            and raised.func.id == "NotImplementedError" and len(raised.args) == 1
            and isinstance(raised.args[0], ast.Constant)
            and f" {NOT_IMPLEMENTED}: " in str(raised.args[0].value))


def _statements(path: Path) -> list[str] | None:
    """The module-level code of ``path`` as comparable text, bare expressions left out.

    Bare expressions (docstrings, ``print(...)``, a notebook's test-cell
    calls) do not change what the module defines, and the notebook has
    test cells that the ``.py`` has not.
    """
    code = _code(path)
    try:
        tree = ast.parse(code) if code is not None else None
    except (SyntaxError, ValueError):
        return None
    if tree is None:
        return None
    return [ast.dump(node) for node in tree.body if not isinstance(node, (ast.Expr, ast.Pass))]


def pick(script: Path, notebook: Path) -> tuple[Path, str | None]:
    """Picks the copy to grade, and says why only when the student should know.

    Returns:
        The chosen file, and the reason (one clause for the student's note),
        or None when the choice needs no note: one copy or both are still
        the stub, or both hold the same code.
    """
    script_untouched, notebook_untouched = untouched(script), untouched(notebook)
    if script_untouched is None or notebook_untouched is None:
        return choose(script, notebook)
    if script_untouched:
        return (script, None) if notebook_untouched else (notebook, None)
    if notebook_untouched:
        return script, None
    same = _statements(script)
    if same is not None and same == _statements(notebook):
        return script, None
    return choose(script, notebook)


def choose(script: Path, notebook: Path) -> tuple[Path, str]:
    """Picks the copy to grade when ``script`` (.py) and ``notebook`` (.ipynb) both exist.

    Returns:
        The chosen file and the reason, one clause for the student's note.
    """
    left_script, left_notebook = stub_bodies_left(script), stub_bodies_left(notebook)
    if left_script is not None and left_notebook is not None and left_notebook < left_script:
        return notebook, (f"it has fewer functions left to implement ({left_notebook} "
                          f"against {left_script} in {script.name})")
    if left_script is None and left_notebook is not None:
        return notebook, f"{script.name} could not be read"
    if left_notebook is None and left_script is not None:
        return script, f"{notebook.name} could not be read"
    if left_script is not None and left_notebook is not None and left_script < left_notebook:
        return script, (f"it has fewer functions left to implement ({left_script} "
                        f"against {left_notebook} in {notebook.name})")
    return script, "both are equally far along, and then the .py file is graded"
