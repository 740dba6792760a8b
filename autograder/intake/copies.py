"""Which of a student's two copies to grade: the one further from the stub.

The student release ships every assignment twice, as ``<module>.py`` and as
``<module>.ipynb``, and a student works in one of them. When both are handed
in (or ``torchgrade check`` finds both in the working copy), grading the
untouched one would show a student who did the work in the notebook nothing
but ``TODO``. So the copy with fewer stub bodies left is graded: a stub body
is the ``raise NotImplementedError("<name> is not implemented yet: ...")``
that :func:`autograder.release.stubs.make_stub` writes. The rule reads
content only, never timestamps, so the same files always give the same
choice; a tie goes to the ``.py`` file.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.intake.notebook import NotebookError, notebook_to_source

NOT_IMPLEMENTED = "is not implemented yet"
"""What the message of every stub body says after the name (make_stub writes it)."""
# What make_stub writes in place of each solution block (one line).
_STUB_BODY = re.compile(
    r"^[ \t]*raise NotImplementedError\(\"[^\n]* " + re.escape(NOT_IMPLEMENTED) + ": ",
    re.MULTILINE)


def stub_bodies_left(path: Path) -> int | None:
    """How many generated stub bodies ``path`` (a ``.py`` or ``.ipynb``) still holds.

    Returns:
        The count, or None when the file cannot be read as code.
    """
    try:
        if path.suffix == ".ipynb":
            code = notebook_to_source(path)
        else:
            code = path.read_bytes().decode("utf-8", errors="replace")
    except (OSError, NotebookError):
        return None
    return len(_STUB_BODY.findall(code))


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
    if left_script is not None and left_notebook is not None and left_script < left_notebook:
        return script, (f"it has fewer functions left to implement ({left_script} "
                        f"against {left_notebook} in {notebook.name})")
    return script, "both are equally far along, and then the .py file is graded"
