"""GitHub Actions workflows: one the student bundle ships, one for the instructor's grading.

Both are rendered from ``templates/github/``. The student's
(``.github/workflows/torchgrade.yml`` in the student bundle) runs
``torchgrade check`` on every push of a student repository and is labelled
advisory, since the student controls that repository. The instructor's
(``docs/github-actions/grade-class.yml``, written by ``torchgrade release
--workflows docs/github-actions``) grades every student repository of a GitHub Classroom
assignment on a schedule with the solutions held in a secret.

Both install the CPU build of PyTorch from PyTorch's index and torchgrade
from the kit's wheel (:mod:`autograder.release.wheel`) that the student
bundle carries, so neither needs a published torchgrade.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from autograder import __version__
from autograder.release import wheel
from autograder.release.files import display, generate
from autograder.release.templates import render

STUDENT_PATH = ".github/workflows/torchgrade.yml"
"""Where the student bundle (and so each student repository) keeps its workflow."""
EXAMPLE_NAME = "grade-class.yml"
"""The instructor's workflow, as ``torchgrade release --workflows DIR`` writes it into DIR."""
PYTHON_VERSION = "3.11"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
"""PyTorch's index of CPU builds: a few hundred MB instead of several GB of CUDA."""
CHECK_OUT = "torchgrade-check"
"""The student workflow's output folder and artifact: result.json, html/, junit.xml."""
GRADE_OUT = "out"
"""The instructor workflow's ``--out`` folder: gradebook.csv, results/, report.html."""
CLASS_DIR = "class"
"""Where the instructor workflow puts the students' clones."""
CRON = "0 5 * * *"
"""When the instructor workflow grades the class: every night at 05:00 UTC."""
JOBS = 2


def torch_requirement() -> str:
    """``torch==X.Y.Z``: the torch this release is made with, which CI installs too.

    The public snapshots were recorded with it, and a later torch could draw
    the public inputs differently; pinning it keeps a student repository's
    workflow passing on the release it was made from.
    """
    try:
        return f"torch=={importlib.metadata.version('torch').partition('+')[0]}"
    except importlib.metadata.PackageNotFoundError:
        return "torch"


def student_workflow(*, version: str = __version__) -> str:
    """The student repository's workflow: install from the bundled wheel, check, report."""
    return render("github/student.yml.j2", version=version, wheel=wheel.bundle_path(version),
                  python_version=PYTHON_VERSION, torch=torch_requirement(),
                  torch_index=TORCH_INDEX, out=CHECK_OUT)


def instructor_workflow(*, version: str = __version__) -> str:
    """The instructor's workflow: clone every student repository, grade, publish."""
    return render("github/instructor.yml.j2", version=version,
                  wheel=wheel.bundle_path(version), python_version=PYTHON_VERSION,
                  torch=torch_requirement(), torch_index=TORCH_INDEX, out=GRADE_OUT,
                  class_dir=CLASS_DIR, cron=CRON, jobs=JOBS)


def main(*, example: Path, check: bool = False) -> int:
    """Writes the instructor's workflow to ``example``, or checks that it is current.

    Returns:
        0 when written or current; 1 with ``check`` when it is stale or
        missing (said on stdout with the command that regenerates it).
    """
    return generate(example, instructor_workflow(), check=check,
                    regenerate=f"torchgrade release --workflows {display(example.parent)}")
