"""Packaging glue that pyproject.toml cannot express.

The release templates live in ``templates/`` at the top of the checkout
(DESIGN.md) and ship inside the package as ``autograder/templates``;
everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["autograder", "autograder.*"]), "autograder.templates"],
    package_dir={"autograder.templates": "templates"},
)
