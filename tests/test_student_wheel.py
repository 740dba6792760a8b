"""torchgrade's own wheel in the student bundle: built reproducibly, installable alone.

The slow test is the student's path, for real: a fresh virtual environment
(no system site packages) installs torchgrade from the bundle's
``wheels/`` folder alone (torch, pinned to the CPU build by
``constraints/cpu.txt``, and the other dependencies come from the package
index) and runs ``torchgrade check`` inside the bundle exactly as the
bundle's GitHub Actions workflow does. It builds one environment per test
session. The fast tests build the wheel from copies of the checkout, so what
they compare does not depend on anything else changing meanwhile.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import venv
import zipfile
from pathlib import Path

import pytest

from autograder import __version__
from autograder.cli import main as cli
from autograder.registry import discover
from autograder.release import leaks, wheel
from autograder.release.publish import MANIFEST_NAME
from autograder.results.model import SCHEMA
from tests.conftest import ROOT, SOLUTIONS

ASSIGNMENTS = discover()
WHEEL = wheel.bundle_path()
CONSTRAINTS = ROOT / "constraints" / "cpu.txt"
INSTALL_SECONDS = 900


def source_copy(folder: Path) -> Path:
    """The files torchgrade's wheel is built from, copied into ``folder``."""
    for relative, content in wheel.source_files(ROOT).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def record_digest(content: bytes) -> str:
    """A file's digest as a wheel's RECORD writes it."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(
        b"=").decode()


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A copy of the checkout's package sources, and the wheel built from it."""
    source = source_copy(tmp_path_factory.mktemp("kit"))
    return source, wheel.build(source=source, reuse=False)


def test_two_builds_from_different_copies_are_byte_identical(kit, tmp_path):
    source, built = kit
    second = shutil.copytree(source, tmp_path / "second")
    for path in sorted(second.rglob("*.py"))[::3]:  # another umask, another day
        path.chmod(0o755)
        os.utime(path, (1_900_000_000, 1_900_000_000))
    assert wheel.build(source=second, reuse=False) == built
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} == {0o100644}
        assert names[-1] == f"torchgrade-{__version__}.dist-info/RECORD"
        record = list(csv.reader(io.StringIO(archive.read(names[-1]).decode())))
    members = wheel.members(built)
    assert {row[0] for row in record} == set(members)
    for name, digest, _size in record:  # the rewritten archive still matches its RECORD
        if name != names[-1]:
            assert digest == record_digest(members[name]), name


def test_the_wheel_holds_the_package_and_nothing_else(kit):
    built = kit[1]
    members = wheel.members(built)
    tops = {name.split("/")[0] for name in members}
    assert tops == {"autograder", f"torchgrade-{__version__}.dist-info"}
    assert not any(part in ("solutions", "tests") for name in members
                   for part in name.split("/"))
    for assignment in ASSIGNMENTS:  # the checks and their public snapshots ship
        package = assignment.checks_path.parent.relative_to(ROOT).as_posix()
        assert f"{package}/checks.py" in members and f"{package}/snapshots.json" in members
    assert "autograder/templates/github/student.yml.j2" in members
    metadata = members[f"torchgrade-{__version__}.dist-info/METADATA"].decode()
    assert "Name: torchgrade" in metadata and "Requires-Dist: torch>=2.2" in metadata
    wheel.verify(built, solutions=SOLUTIONS, assignments=ASSIGNMENTS)


def test_a_solution_inside_the_package_stops_the_release(kit, tmp_path):
    kit = shutil.copytree(kit[0], tmp_path / "kit")
    linear = ASSIGNMENTS[1]
    solution = (SOLUTIONS / linear.name / linear.filename).read_text()
    # A solutions/ package inside autograder/ is refused by its path...
    (kit / "autograder" / "solutions").mkdir()
    (kit / "autograder" / "solutions" / "__init__.py").write_text("")
    (kit / "autograder" / "solutions" / linear.filename).write_text(solution)
    with pytest.raises(wheel.WheelError, match="a solutions folder inside the package"):
        wheel.build(source=kit, reuse=False)
    # ...and a solution under any other name by its content, markers stripped or not.
    shutil.rmtree(kit / "autograder" / "solutions")
    stripped = "".join(line for line in solution.splitlines(keepends=True)
                       if "SOLUTION" not in line)
    (kit / "autograder" / "reference_layer.py").write_text(stripped)
    built = wheel.build(source=kit, reuse=False)
    with pytest.raises(leaks.LeakError) as leaked:
        wheel.verify(built, solutions=SOLUTIONS, assignments=ASSIGNMENTS)
    assert (f"{WHEEL}: autograder/reference_layer.py holds" in str(leaked.value)
            and f"reference solution of {linear.name}" in str(leaked.value))


def test_a_wheel_that_cannot_be_built_right_says_why(kit, tmp_path):
    (tmp_path / "autograder").mkdir()
    with pytest.raises(wheel.WheelError, match="is not a torchgrade checkout"):
        wheel.build(source=tmp_path)
    bumped = shutil.copytree(kit[0], tmp_path / "bumped")  # a version bumped in one place
    pyproject = bumped / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f'version = "{__version__}"',
                                                       'version = "99.0"'))
    with pytest.raises(wheel.WheelError, match="torchgrade-99.0-py3-none-any.whl, but this "
                                               "torchgrade is"):
        wheel.build(source=bumped)
    pyproject.write_text("[project\n")
    with pytest.raises(wheel.WheelError, match="building torchgrade's wheel failed"):
        wheel.build(source=bumped)


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student bundle, released through the command line."""
    bundle = tmp_path_factory.mktemp("student-wheel") / "course"
    assert cli(["release", "--student", str(bundle)]) == 0
    return bundle


def test_the_release_ships_the_wheel_and_records_it_in_the_manifest(released, tmp_path):
    bundle = shutil.copytree(released, tmp_path / "course")
    data = (bundle / WHEEL).read_bytes()
    assert "autograder/cli.py" in wheel.members(data)
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    assert manifest["files"][WHEEL] == hashlib.sha256(data).hexdigest()
    readme = (bundle / "README.md").read_text()
    assert f"pip install ./{WHEEL}\n" in readme
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu\n" in readme
    assert f'pip install "torchgrade=={__version__}"' in readme  # the published route
    assert cli(["release", "--student", str(bundle), "--check"]) == 0


@pytest.fixture(scope="session")
def installed(released: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A student bundle, and a fresh environment with torchgrade installed from it alone."""
    bundle = released
    environment = tmp_path_factory.mktemp("student-venv") / "venv"
    start = time.monotonic()
    venv.create(environment, with_pip=True, system_site_packages=False, symlinks=True)
    python = environment / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-compile", "-c",
                           str(CONSTRAINTS), f"./{WHEEL}"], cwd=bundle, capture_output=True,
                          text=True, timeout=INSTALL_SECONDS, env=_clean_environment())
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"\nfresh environment with torchgrade from the bundle's wheel: "
          f"{time.monotonic() - start:.1f} s")
    return {"bundle": bundle, "environment": environment}


def _clean_environment() -> dict[str, str]:
    """This process's environment without anything that would reach the checkout's venv."""
    return {key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.mark.slow
def test_a_fresh_environment_installs_from_the_bundle_and_checks_it(installed, tmp_path):
    bundle = shutil.copytree(installed["bundle"], tmp_path / "course")  # check writes caches
    bin_dir = installed["environment"] / "bin"
    where = subprocess.run([str(bin_dir / "python"), "-c",
                            "import autograder, torch; print(autograder.__file__); "
                            "print(torch.__version__)"],
                           cwd=bundle, capture_output=True, text=True, timeout=120,
                           env=_clean_environment())
    assert where.returncode == 0, where.stderr
    package, torch_version = where.stdout.split()
    assert Path(package).is_relative_to(installed["environment"])  # not the checkout's
    assert torch_version.endswith("+cpu")
    assert not (Path(package).parent / "solutions").exists()
    # The commands of the bundle's workflow, in the bundle, with the installed console script.
    out = bundle / "torchgrade-check"
    done = subprocess.run([str(bin_dir / "torchgrade"), "check", "--format", "md", "--json",
                           str(out / "result.json"), "--html", str(out / "html")],
                          cwd=bundle, capture_output=True, text=True, timeout=600,
                          env={**_clean_environment(), "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| **Total** | **0/100** |" in done.stdout
    result = json.loads((out / "result.json").read_text())
    assert result["schema"] == SCHEMA and result["score"] == 0 and result["max_score"] == 100
    statuses = {check["status"] for a in result["assignments"] for check in a["checks"]}
    assert statuses == {"not_implemented"}
    assert [a["name"] for a in result["assignments"]] == [a.name for a in ASSIGNMENTS]
    assert len(list((out / "html").glob("*.html"))) == 1  # the feedback templates shipped
