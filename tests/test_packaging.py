"""torchgrade's own build: quiet, and every template ships in the wheel.

``make venv`` installs the checkout with pip; setuptools warns once per
folder below a package that it was not told about, which buried the
set-up's output under ``Package would be ignored`` banners. The build runs
for real, from a copy of the checkout, as pip runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"


def _copy_of_the_checkout(target: Path) -> Path:
    """What the build reads, without the checkout's build folders and caches."""
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, target / name)
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "autograder", target / "autograder", ignore=ignored)
    shutil.copytree(TEMPLATES, target / "templates", ignore=ignored)
    return target


def test_the_wheel_builds_without_warnings_and_holds_every_template(tmp_path: Path) -> None:
    source = _copy_of_the_checkout(tmp_path)
    (source / "templates" / "added_later" / "nested").mkdir(parents=True)
    (source / "templates" / "added_later" / "nested" / "page.html.j2").write_text("{{ x }}\n")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "-v", str(source), "-w", str(tmp_path / "wheels")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-3000:]
    assert "would be ignored" not in output, output[output.find("would be ignored") - 500:][:2000]

    [wheel] = (tmp_path / "wheels").glob("torchgrade-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"autograder/templates/{p.relative_to(source / 'templates').as_posix()}"
                 for p in (source / "templates").rglob("*") if p.is_file()}
    assert len(templates) > 5 and "autograder/templates/notebook/test_cell.py.j2" in templates
    assert "autograder/templates/added_later/nested/page.html.j2" in templates
    assert templates <= shipped, sorted(templates - shipped)
    assert "autograder/cli.py" in shipped
