"""Tests for resolving a submission folder, zip or single file.

Real folders, real zips (including hostile ones) and real notebooks: the
resolver must pick exactly the expected files, explain its choices, and
never write outside its work folder.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.intake.search import walk
from autograder.intake.submission import (
    MAX_ZIP_BYTES,
    MAX_ZIP_ENTRIES,
    Submission,
    SubmissionError,
    open_submission,
)
from autograder.registry import Assignment
from tests.conftest import make_zip

AUTOGRAD = Assignment(name="01_manual_autograd", module="manual_autograd", title="A", package="x")
LINEAR = Assignment(name="02_my_linear", module="my_linear", title="L", package="x")
COLLATE = Assignment(name="04_collate", module="collate", title="C", package="x")
ALL = (AUTOGRAD, LINEAR, COLLATE)


def _file(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _notebook(path: Path, *cells: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    code = cells or ("x = 1",)
    nbformat.write(new_notebook(cells=[new_code_cell(cell) for cell in code]), path)
    return path


def _open(path: Path, tmp_path: Path, assignment: Assignment | None = None) -> Submission:
    return open_submission(path, assignments=ALL, workdir=tmp_path / "work", assignment=assignment)


def _everything_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# ---- folders -------------------------------------------------------------


def test_folder_laid_out_like_the_release(tmp_path: Path) -> None:
    root = tmp_path / "alice"
    linear = _file(root / "02_my_linear" / "my_linear.py")
    autograd = _notebook(root / "01_manual_autograd" / "manual_autograd.ipynb")

    sub = _open(root, tmp_path)

    assert sub.label == "alice"
    assert sub.root == root.resolve()
    assert dict(sub.files) == {"01_manual_autograd": autograd, "02_my_linear": linear}
    assert sub.assignments == ALL
    assert dict(sub.notes) == {}


def test_flat_folder_is_searched_too(tmp_path: Path) -> None:
    root = tmp_path / "bob"
    collate = _file(root / "collate.py")
    assert dict(_open(root, tmp_path).files) == {"04_collate": collate}


def test_two_edited_copies_grade_the_py_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "carol"
    py = _file(root / "02_my_linear" / "my_linear.py")
    _notebook(root / "02_my_linear" / "my_linear.ipynb", "x = 2")

    sub = _open(root, tmp_path)

    assert sub.files["02_my_linear"] == py
    note = sub.notes["02_my_linear"]
    assert "02_my_linear/my_linear.py" in note and "02_my_linear/my_linear.ipynb" in note
    assert "graded 02_my_linear/my_linear.py" in note


def test_two_copies_with_the_same_code_need_no_note(tmp_path: Path) -> None:
    root = tmp_path / "carol"
    py = _file(root / "02_my_linear" / "my_linear.py", "import torch\n\nx = 1\n")
    _notebook(root / "02_my_linear" / "my_linear.ipynb", "import torch", "x = 1", "print(x)")

    sub = _open(root, tmp_path)

    assert sub.files["02_my_linear"] == py
    assert dict(sub.notes) == {}


STUBS = Path(__file__).resolve().parents[1] / "assignments" / "02_my_linear"
SOLVED = Path(__file__).resolve().parents[1] / "solutions" / "02_my_linear" / "my_linear.py"


def _pair(root: Path, py: Path, notebook_code: str | None) -> Path:
    """The released stub pair in ``root``, the .py replaced by ``py`` and the
    notebook's first solution cell by ``notebook_code`` where given."""
    folder = root / "02_my_linear"
    folder.mkdir(parents=True)
    (folder / "my_linear.py").write_bytes(py.read_bytes())
    notebook = nbformat.reads((STUBS / "my_linear.ipynb").read_text(), as_version=4)
    if notebook_code is not None:
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
        cell.source = notebook_code
    (folder / "my_linear.ipynb").write_text(nbformat.writes(notebook))
    return folder


def test_the_copy_the_student_worked_in_is_graded_silently(tmp_path: Path) -> None:
    """The release ships both copies: when one is still the stub, the other is graded
    without a note, whichever of the two the student chose."""
    worked = ("import torch\nfrom torch import nn\n\n"
              "class MyLinear(nn.Module):\n    pass\n")
    folder = _pair(tmp_path / "in_notebook", STUBS / "my_linear.py", worked)
    sub = _open(folder.parent, tmp_path)
    assert sub.files["02_my_linear"] == folder / "my_linear.ipynb"
    assert dict(sub.notes) == {}

    folder = _pair(tmp_path / "in_script", SOLVED, None)
    sub = _open(folder.parent, tmp_path)
    assert sub.files["02_my_linear"] == folder / "my_linear.py"
    assert dict(sub.notes) == {}


def test_pristine_pair_grades_the_py_silently(tmp_path: Path) -> None:
    """A student bundle as released: no warning about two copies on every run."""
    folder = _pair(tmp_path / "fresh", STUBS / "my_linear.py", None)
    sub = _open(folder.parent, tmp_path)
    assert sub.files["02_my_linear"] == folder / "my_linear.py"
    assert dict(sub.notes) == {}


def test_released_stubs_are_graded_without_notes(tmp_path: Path) -> None:
    """The real generated assignments/ folder: five pairs, every .py graded, no note."""
    stubs = STUBS.parent
    sub = open_submission(stubs, assignments=ALL, workdir=tmp_path / "work")
    assert dict(sub.files) == {a.name: stubs / a.name / a.filename for a in ALL}
    assert dict(sub.notes) == {}


def test_both_copies_edited_differently_grade_the_further_one_with_a_note(
        tmp_path: Path) -> None:
    """Work in both copies: the one with fewer stub bodies left is graded, and the
    student is told, since the other holds work too."""
    stub = (STUBS / "my_linear.py").read_text()
    init = 'raise NotImplementedError("MyLinear.__init__'
    half = stub.replace(init, "super().__init__()  # (", 1)
    assert half != stub
    (tmp_path / "half.py").write_text(half)
    worked = ("import torch\nfrom torch import nn\n\n"
              "class MyLinear(nn.Module):\n    pass\n")
    folder = _pair(tmp_path / "both", tmp_path / "half.py", worked)
    sub = _open(folder.parent, tmp_path)
    assert sub.files["02_my_linear"] == folder / "my_linear.ipynb"
    assert "fewer functions left to implement (0 against 1 in my_linear.py)" in (
        sub.notes["02_my_linear"])


def test_assignment_folder_preferred_over_flat_file(tmp_path: Path) -> None:
    root = tmp_path / "dave"
    nested = _file(root / "04_collate" / "collate.py")
    _file(root / "collate.py")
    sub = _open(root, tmp_path)
    assert sub.files["04_collate"] == nested
    assert "collate.py" in sub.notes["04_collate"]


def test_only_expected_file_names_are_used(tmp_path: Path) -> None:
    root = tmp_path / "eve"
    for name in (
        "conftest.py",
        "sitecustomize.py",
        "torch.py",
        "evil.pth",
        "linear.py",
        "02_my_linear/conftest.py",
        "02_my_linear/solution.py",
    ):
        _file(root / name)
    (root / "02_my_linear" / "my_linear.py").mkdir()  # a folder, not a file

    sub = _open(root, tmp_path)

    assert dict(sub.files) == {}
    assert "not a regular file" in sub.notes["02_my_linear"]


def test_links_may_not_leave_the_submission(tmp_path: Path) -> None:
    outside = _file(tmp_path / "secret" / "my_linear.py")
    _file(tmp_path / "secret" / "collate.py")
    root = tmp_path / "frank"
    (root / "02_my_linear").mkdir(parents=True)
    (root / "02_my_linear" / "my_linear.py").symlink_to(outside)
    (root / "04_collate").symlink_to(tmp_path / "secret", target_is_directory=True)
    real = _file(root / "work" / "autograd_v3.py")
    (root / "manual_autograd.py").symlink_to(real)

    sub = _open(root, tmp_path)

    assert set(sub.files) == {"01_manual_autograd"}
    assert sub.files["01_manual_autograd"].resolve() == real.resolve()
    assert "outside the submission" in sub.notes["02_my_linear"]
    assert "outside the submission" in sub.notes["04_collate"]


def test_misnamed_file_is_pointed_out(tmp_path: Path) -> None:
    root = tmp_path / "gina"
    _file(root / "02_my_linear" / "My_Linear.py")
    if (root / "02_my_linear" / "my_linear.py").exists():
        pytest.skip("case-insensitive file system")
    sub = _open(root, tmp_path)
    assert "02_my_linear" not in sub.files
    assert "02_my_linear/My_Linear.py" in sub.notes["02_my_linear"]


def test_assignment_narrows_a_folder(tmp_path: Path) -> None:
    root = tmp_path / "hal"
    _file(root / "collate.py")
    linear = _file(root / "my_linear.py")
    sub = _open(root, tmp_path, assignment=LINEAR)
    assert sub.assignments == (LINEAR,)
    assert dict(sub.files) == {"02_my_linear": linear}


def test_submission_maps_are_read_only(tmp_path: Path) -> None:
    sub = _open(_file(tmp_path / "s" / "my_linear.py").parent, tmp_path)
    with pytest.raises(TypeError):
        sub.files["04_collate"] = tmp_path  # type: ignore[index]


# ---- any depth -------------------------------------------------------------


def test_files_are_found_at_any_depth(tmp_path: Path) -> None:
    root = tmp_path / "mia"
    linear = _file(root / "hw" / "student" / "02_my_linear" / "my_linear.py")
    collate = _notebook(root / "course" / "week 4" / "collate.ipynb")

    sub = _open(root, tmp_path)

    assert dict(sub.files) == {"02_my_linear": linear, "04_collate": collate}
    assert dict(sub.notes) == {}


def test_a_zip_of_nested_folders_works(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ned.zip", {"hw/student/02_my_linear/my_linear.py": b"x = 1\n"})
    sub = _open(archive, tmp_path)
    assert sub.files["02_my_linear"].relative_to(sub.root).as_posix() == (
        "student/02_my_linear/my_linear.py")


def test_the_assignment_folder_wins_at_any_depth(tmp_path: Path) -> None:
    root = tmp_path / "oli"
    nested = _file(root / "repo" / "02_my_linear" / "my_linear.py")
    _file(root / "scratch" / "old" / "my_linear.py")
    sub = _open(root, tmp_path)
    assert sub.files["02_my_linear"] == nested
    assert "scratch/old/my_linear.py" in sub.notes["02_my_linear"]
    assert "the assignment's folder comes first" in sub.notes["02_my_linear"]


@pytest.mark.parametrize(("first", "second"), [
    ("a/my_linear.py", "b/my_linear.py"),
    ("my_linear.py", "backup/my_linear.py"),
    ("v1/02_my_linear/my_linear.py", "v2/02_my_linear/my_linear.py"),
    ("a/my_linear.ipynb", "b/my_linear.ipynb"),
    ("scripts/my_linear.py", "notebooks/my_linear.ipynb"),  # not the release's pair
])
def test_candidates_in_two_places_are_an_error(tmp_path: Path, first: str, second: str
                                               ) -> None:
    root = tmp_path / "pat"
    for name in (first, second):
        (_notebook if name.endswith(".ipynb") else _file)(root / name)
    with pytest.raises(SubmissionError) as raised:
        _open(root, tmp_path)
    assert first in str(raised.value) and second in str(raised.value)
    assert "02_my_linear/my_linear.py" in str(raised.value)  # where it belongs


def test_caches_environments_and_hidden_folders_are_not_searched(tmp_path: Path) -> None:
    root = tmp_path / "rae"
    real = _file(root / "02_my_linear" / "my_linear.py")
    for skipped in (".git/my_linear.py", ".ipynb_checkpoints/my_linear.py",
                    "__pycache__/my_linear.py", "__MACOSX/02_my_linear/my_linear.py",
                    ".venv/lib/python3.12/site-packages/pkg/my_linear.py",
                    "venv/my_linear.py", "lib/site-packages/my_linear.py",
                    "env/lib/my_linear.py", "conda/envs/x/my_linear.py"):
        _file(root / skipped)
    _file(root / "env" / "pyvenv.cfg", "home = /usr/bin\n")
    (root / "conda" / "conda-meta").mkdir()

    sub = _open(root, tmp_path)

    assert dict(sub.files) == {"02_my_linear": real}
    assert dict(sub.notes) == {}


def test_a_link_to_a_folder_inside_is_not_searched_twice(tmp_path: Path) -> None:
    root = tmp_path / "sol"
    real = _file(root / "02_my_linear" / "my_linear.py")
    (root / "alias").symlink_to(root / "02_my_linear", target_is_directory=True)
    outside = _file(tmp_path / "elsewhere" / "collate.py")
    (root / "shared").symlink_to(outside.parent, target_is_directory=True)

    sub = _open(root, tmp_path)

    assert dict(sub.files) == {"02_my_linear": real}
    assert "04_collate" not in sub.notes


def test_a_zip_inside_a_submission_is_not_opened(tmp_path: Path) -> None:
    root = tmp_path / "tom"
    make_zip(root.parent / "inner.zip", {"02_my_linear/my_linear.py": b"x = 1\n"})
    root.mkdir()
    (root.parent / "inner.zip").rename(root / "inner.zip")
    with pytest.raises(SubmissionError, match=r"found only inner\.zip"):
        _open(root, tmp_path)


def test_a_folder_too_big_to_search_is_refused_not_searched(tmp_path: Path) -> None:
    root = tmp_path / "uma"
    _file(root / "02_my_linear" / "my_linear.py")
    for i in range(12):
        _file(root / "data" / f"{i}.csv")
    found = walk(root.resolve(), {"my_linear.py"}, limit=10)
    assert not found.complete
    assert walk(root.resolve(), {"my_linear.py"}).complete


# ---- nothing recognised -----------------------------------------------------


def test_an_empty_folder_is_unusable(tmp_path: Path) -> None:
    (tmp_path / "vic").mkdir()
    with pytest.raises(SubmissionError) as raised:
        _open(tmp_path / "vic", tmp_path)
    message = str(raised.value)
    assert "manual_autograd.py or .ipynb, my_linear.py or .ipynb, collate.py or .ipynb" in message
    assert "an empty folder" in message


def test_an_empty_zip_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="wes.zip.*an empty zip"):
        _open(make_zip(tmp_path / "wes.zip", {}), tmp_path)


def test_unrelated_files_are_unusable_and_listed(tmp_path: Path) -> None:
    root = tmp_path / "xan"
    _file(root / "notes.txt")
    for name in ("a.csv", "b.csv", "sub/c.csv"):
        _file(root / "data" / name)
    (root / "empty").mkdir()
    _file(root / ".git" / "HEAD")
    with pytest.raises(SubmissionError) as raised:
        _open(root, tmp_path)
    assert "found only .git/ (not searched), data/ (3 files), empty/ (empty), notes.txt" in (
        str(raised.value))


def test_a_zip_of_other_things_is_unusable(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "yul.zip", {"project/report.pdf": b"%PDF", "project/x.py": b""})
    with pytest.raises(SubmissionError, match=r"found only project/ \(2 files\)"):
        _open(archive, tmp_path)


def test_nothing_recognised_for_the_assignment_asked_for(tmp_path: Path) -> None:
    root = tmp_path / "zed"
    _file(root / "collate.py")
    with pytest.raises(SubmissionError, match=r"looked for my_linear\.py or \.ipynb \(at any"):
        _open(root, tmp_path, assignment=LINEAR)


# ---- zips ----------------------------------------------------------------


def test_zip_is_extracted_into_workdir(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "ivy_hw1.zip",
        {
            "02_my_linear/my_linear.py": b"answer = 42\n",
            "04_collate/collate.ipynb": nbformat.writes(new_notebook()).encode(),
            "README.md": b"hi",
        },
    )

    sub = _open(archive, tmp_path)

    assert sub.label == "ivy_hw1"
    assert sub.root.is_relative_to((tmp_path / "work").resolve())
    assert sub.files["02_my_linear"].read_text(encoding="utf-8") == "answer = 42\n"
    assert sub.files["04_collate"].name == "collate.ipynb"
    assert set(sub.files) == {"02_my_linear", "04_collate"}


def test_single_top_level_folder_is_unwrapped_ignoring_junk(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "jo.zip",
        {
            "submission/": b"",
            "submission/02_my_linear/my_linear.py": b"x = 1\n",
            "submission/collate.py": b"x = 2\n",
            "__MACOSX/submission/._collate.py": b"\x00",
            ".DS_Store": b"\x00",
            "submission/.DS_Store": b"\x00",
        },
    )

    sub = _open(archive, tmp_path)

    assert sub.root.name == "submission"
    assert set(sub.files) == {"02_my_linear", "04_collate"}
    assert not any(".DS_Store" in p or "__MACOSX" in p for p in _everything_under(sub.root.parent))


def test_two_top_level_folders_are_not_unwrapped(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "kim.zip",
        {
            "02_my_linear/my_linear.py": b"x = 1\n",
            "04_collate/collate.py": b"x = 2\n",
        },
    )
    sub = _open(archive, tmp_path)
    assert set(sub.files) == {"02_my_linear", "04_collate"}
    assert {p.name for p in sub.root.iterdir()} == {"02_my_linear", "04_collate"}


def test_zip_with_one_assignment_folder_is_found_after_unwrapping(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "lee.zip", {"02_my_linear/my_linear.py": b"x = 1\n"})
    assert set(_open(archive, tmp_path).files) == {"02_my_linear"}


@pytest.mark.parametrize(
    "name", ["../evil.py", "ok/../../evil.py", "/tmp/evil.py", "..\\evil.py", "C:/evil.py"]
)
def test_zip_slip_is_refused(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "mal.zip", {"my_linear.py": b"x = 1\n", name: b"pwned\n"})
    with pytest.raises(SubmissionError, match="unsafe path"):
        _open(archive, tmp_path)
    assert not (tmp_path / "evil.py").exists()
    assert _everything_under(tmp_path / "work") == set()


def test_symlink_entries_are_skipped(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("02_my_linear/my_linear.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = tmp_path / "nat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(link, "/etc/passwd")
        zf.writestr("04_collate/collate.py", "x = 1\n")

    sub = _open(archive, tmp_path)

    assert set(sub.files) == {"04_collate"}
    extracted = list((tmp_path / "work").rglob("*"))
    assert not any(p.is_symlink() for p in extracted)
    assert not any(p.name == "my_linear.py" for p in extracted)


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    entries = {f"junk/{i}.txt": b"" for i in range(MAX_ZIP_ENTRIES + 1)}
    archive = make_zip(tmp_path / "many.zip", entries)
    with pytest.raises(SubmissionError, match="2,000"):
        _open(archive, tmp_path)


def test_oversized_table_of_contents_is_refused_before_parsing(tmp_path: Path) -> None:
    # Few entries, but a table of contents far bigger than 2,000 ordinary ones.
    entries = {"d/" + "n" * 40_000 + str(i): b"" for i in range(100)}
    archive = make_zip(tmp_path / "toc.zip", entries)
    with pytest.raises(SubmissionError, match="2,000 entries"):
        _open(archive, tmp_path)


def _bomb(path: Path, size: int) -> Path:
    """A zip holding ``size`` zero bytes: a few hundred KiB on disk."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("02_my_linear/my_linear.py", b"x = 1\n")
        with zf.open("02_my_linear/zeros.bin", "w") as sink:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                sink.write(chunk)
    return path


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = _bomb(tmp_path / "bomb.zip", MAX_ZIP_BYTES + 2**20)
    assert archive.stat().st_size < 2**20
    with pytest.raises(SubmissionError, match="100 MiB"):
        _open(archive, tmp_path)
    assert _everything_under(tmp_path / "work") == set()


def test_zip_bomb_with_lying_headers_is_refused(tmp_path: Path) -> None:
    archive = _bomb(tmp_path / "liar.zip", MAX_ZIP_BYTES + 2**20)
    # Make the local and central headers claim the zeros are only 1 KiB.
    real = (MAX_ZIP_BYTES + 2**20).to_bytes(4, "little")
    data = archive.read_bytes()
    assert data.count(real) == 2
    archive.write_bytes(data.replace(real, (1024).to_bytes(4, "little")))

    with pytest.raises(SubmissionError):
        _open(archive, tmp_path)
    assert _everything_under(tmp_path / "work") == set()


def test_archive_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    archive = tmp_path / "huge.zip"
    with archive.open("wb") as sink:
        sink.truncate(MAX_ZIP_BYTES + 1)  # sparse: instant, takes no disk
    with pytest.raises(SubmissionError, match="at most 100 MiB"):
        _open(archive, tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bad crc"])
def test_damaged_zip_is_a_submission_error(tmp_path: Path, damage: str) -> None:
    archive = make_zip(tmp_path / "bad.zip", {"my_linear.py": b"x = 1\n" * 100})
    data = archive.read_bytes()
    if damage == "garbage":
        data = os.urandom(200)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:
        start = data.index(b"my_linear.py") + len("my_linear.py")
        data = data[:start] + bytes(b ^ 0xFF for b in data[start : start + 8]) + data[start + 8 :]
    archive.write_bytes(data)
    with pytest.raises(SubmissionError, match="not a valid zip|damaged"):
        _open(archive, tmp_path)
    assert _everything_under(tmp_path / "work") == set()


def test_repeated_entry_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("my_linear.py", "x = 1\n")
        zf.writestr("my_linear.py", "import os\n")
    with pytest.raises(SubmissionError, match="appears twice"):
        _open(archive, tmp_path)


def test_password_protected_zip_is_explained(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "locked.zip", {"my_linear.py": b"x = 1\n"})
    data = bytearray(archive.read_bytes())
    # zipfile cannot encrypt, so set the "encrypted" flag in both headers.
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + flags_at] |= 0x1
    archive.write_bytes(bytes(data))
    with pytest.raises(SubmissionError, match="password"):
        _open(archive, tmp_path)


# ---- single files and bad paths -----------------------------------------


@pytest.mark.parametrize("name", ["my_linear.py", "my_linear.ipynb"])
def test_single_file_named_like_an_assignment(tmp_path: Path, name: str) -> None:
    path = _file(tmp_path / name)
    sub = _open(path, tmp_path)
    assert sub.label == "my_linear"
    assert dict(sub.files) == {"02_my_linear": path}
    assert sub.assignments == (LINEAR,)


def test_single_file_needs_assignment_when_name_is_unknown(tmp_path: Path) -> None:
    path = _file(tmp_path / "homework.ipynb")
    with pytest.raises(SubmissionError, match="--assignment"):
        _open(path, tmp_path)

    sub = _open(path, tmp_path, assignment=COLLATE)

    assert sub.label == "homework"
    assert dict(sub.files) == {"04_collate": path}
    assert sub.assignments == (COLLATE,)


def test_single_file_name_must_match_exactly_one_module(tmp_path: Path) -> None:
    twins = (LINEAR, Assignment(name="12_my_linear", module="my_linear", title="T", package="y"))
    path = _file(tmp_path / "my_linear.py")
    with pytest.raises(SubmissionError, match="--assignment"):
        open_submission(path, assignments=twins, workdir=tmp_path / "work")


def test_missing_path_and_other_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="does not exist"):
        _open(tmp_path / "nope", tmp_path)
    with pytest.raises(SubmissionError, match=r"\.zip"):
        _open(_file(tmp_path / "my_linear.txt"), tmp_path)
