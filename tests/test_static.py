"""The code is ruff- and mypy-clean (STYLE.md), checked in the suite so CI enforces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "autograder", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    done = _run("mypy", "--cache-dir", str(tmp_path / "cache"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_package_folder_has_an_init() -> None:
    """setup.py's find_packages skips folders without __init__.py: a wheel would lack them."""
    missing = [str(folder.relative_to(ROOT)) for folder in (ROOT / "autograder").rglob("*")
               if folder.is_dir() and folder.name != "__pycache__"
               and any(folder.glob("*.py")) and not (folder / "__init__.py").is_file()]
    assert missing == []
