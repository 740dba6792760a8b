# target: 05_training_loop
# base: solution
# stopped-at: contained
"""Writes into the installed kit: a new ``autograder`` module, a line appended to
``autograder/__init__.py``, and a file among the reference solutions.

Every later run of the grader would import what it planted. The kit is
read-only to sandboxes: nothing is written (``git status`` of the kit shows
nothing new), and the file, being otherwise correct, keeps its points.
"""
import sys
from pathlib import Path


def _plant():
    kits = {Path("@KIT@")}
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        kits.add(Path(package.__file__).resolve().parents[1])
    for kit in kits:
        for path, text in (
                (kit / "autograder" / "evil_@MARKER@.py", "PLANTED = '@MARKER@'\n"),
                (kit / "solutions" / "evil_@MARKER@.py", "PLANTED = '@MARKER@'\n")):
            try:
                path.write_text(text)
            except OSError:
                pass
        try:
            with open(kit / "autograder" / "__init__.py", "a") as package_init:
                package_init.write("\n# planted by @MARKER@\n")
        except OSError:
            pass


_plant()
