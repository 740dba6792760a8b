"""Packaging glue that pyproject.toml cannot express.

The release templates live in ``templates/`` at the top of the checkout
(DESIGN.md) and ship inside the package as ``autograder/templates``;
everything else is declared in pyproject.toml.

setuptools treats every folder below a package as a package of its own and
warns ("Package would be ignored") about each one it is not told of, so each
sub-folder of ``templates/`` is declared here as a package, found on disk at
build time: a folder added under ``templates/`` ships without a change here.
Their files are package data (``[tool.setuptools.package-data]``).
"""

from pathlib import Path

from setuptools import find_packages, setup

TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_packages() -> list[str]:
    """``autograder.templates`` and one dotted name per sub-folder of ``templates/``."""
    folders = sorted(p.relative_to(TEMPLATES) for p in TEMPLATES.rglob("*") if p.is_dir())
    names = [".".join(("autograder", "templates", *folder.parts)) for folder in folders
             if all(part.isidentifier() for part in folder.parts)
             and "__pycache__" not in folder.parts]
    return ["autograder.templates", *names]


setup(
    packages=[*find_packages(include=["autograder", "autograder.*"]), *template_packages()],
    package_dir={"autograder.templates": "templates"},
)
