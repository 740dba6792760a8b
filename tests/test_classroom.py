"""Tests for recognising a class folder or course export and listing its students.

Every layout is built for real in a temporary folder (or zip) the way the
course tool produces it; each entry found is then opened with
``open_submission``, as the batch command will, to show it is gradable.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.intake.classroom import Entry, find_class
from autograder.intake.submission import SubmissionError, open_submission
from autograder.registry import Assignment
from tests.conftest import make_zip

AUTOGRAD = Assignment(name="01_manual_autograd", module="manual_autograd", title="A", package="x")
LINEAR = Assignment(name="02_my_linear", module="my_linear", title="L", package="x")
COLLATE = Assignment(name="04_collate", module="collate", title="C", package="x")
ALL = (AUTOGRAD, LINEAR, COLLATE)
REPO = Path(__file__).resolve().parents[1]


def _file(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _notebook(path: Path, code: str = "x = 1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_code_cell(code)]), path)
    return path


def _zip_folder(folder: Path, archive: Path) -> Path:
    """Zips ``folder`` with its name as the top-level folder, as a file manager does."""
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(folder.parent).as_posix())
    return archive


def _find(path: Path, tmp_path: Path) -> list[Entry] | None:
    return find_class(path, assignments=ALL, workdir=tmp_path / "work")


def _graded(entry: Entry, tmp_path: Path) -> set[str]:
    """The assignments ``open_submission`` finds in an entry (it must open)."""
    opened = open_submission(entry.path, assignments=ALL, workdir=tmp_path / "work")
    return set(opened.files)


# ---- class folders ---------------------------------------------------------


def test_folders_and_zips_of_students(tmp_path: Path) -> None:
    """The issue's example: alice/, bob/ and carol.zip are three students."""
    root = tmp_path / "hw1"
    _file(root / "alice" / "02_my_linear" / "my_linear.py")
    _notebook(root / "bob" / "work" / "week2" / "collate.ipynb")  # any depth
    carol = tmp_path / "carol_src"
    _file(carol / "carol" / "01_manual_autograd" / "manual_autograd.py")
    _zip_folder(carol / "carol", root / "carol.zip")
    _file(root / "grades.csv", "name,score\n")  # loose files beside students are ignored
    _file(root / ".DS_Store")

    entries = _find(root, tmp_path)

    assert entries == [
        Entry("alice", (root / "alice").resolve()),
        Entry("bob", (root / "bob").resolve()),
        Entry("carol", (root / "carol.zip").resolve()),
    ]
    graded = [_graded(entry, tmp_path) for entry in entries]
    assert graded == [{"02_my_linear"}, {"04_collate"}, {"01_manual_autograd"}]


def test_the_bundled_example_class(tmp_path: Path) -> None:
    entries = find_class(REPO / "examples" / "submissions", assignments=ALL,
                         workdir=tmp_path / "work")
    assert entries is not None
    assert [e.label for e in entries] == ["alice", "bob", "carol"]


def test_github_classroom_clones(tmp_path: Path) -> None:
    """hw1-<user>/ repository clones: .git/ is never searched, the release layout is."""
    root = tmp_path / "hw1-submissions"
    for user in ("alice", "bob"):
        clone = root / f"hw1-{user}"
        _file(clone / ".git" / "HEAD", "ref: refs/heads/main\n")
        _file(clone / ".git" / "objects" / "my_linear.py")  # never a candidate
        _file(clone / "README.md", "# hw1\n")
        _file(clone / "02_my_linear" / "my_linear.py")
        _notebook(clone / "04_collate" / "collate.ipynb")

    entries = _find(root, tmp_path)

    assert entries is not None
    assert [(e.label, e.path.name) for e in entries] == [("hw1-alice", "hw1-alice"),
                                                         ("hw1-bob", "hw1-bob")]
    assert all(_graded(e, tmp_path) == {"02_my_linear", "04_collate"} for e in entries)


def test_a_student_who_handed_in_nothing_is_still_listed(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _file(root / "alice" / "my_linear.py")
    _file(root / "bob" / "collate.py")
    (root / "dave").mkdir()
    make_zip(root / "erin.zip", {})

    entries = _find(root, tmp_path)

    assert entries is not None
    assert [e.label for e in entries] == ["alice", "bob", "dave", "erin"]
    with pytest.raises(SubmissionError, match="an empty folder"):
        _graded(entries[2], tmp_path)
    with pytest.raises(SubmissionError, match="an empty zip"):
        _graded(entries[3], tmp_path)


def test_a_student_folder_holding_one_zip_is_graded_from_the_zip(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _file(root / "alice" / "my_linear.py")
    (root / "bob").mkdir(parents=True)
    make_zip(root / "bob" / "homework.zip", {"hw/02_my_linear/my_linear.py": b"x = 1\n"})

    entries = _find(root, tmp_path)

    assert entries is not None
    assert [(e.label, e.path.name) for e in entries] == [("alice", "alice"),
                                                         ("bob", "homework.zip")]
    assert _graded(entries[1], tmp_path) == {"02_my_linear"}


def test_a_class_zip_is_extracted_under_workdir(tmp_path: Path) -> None:
    source = tmp_path / "src" / "section-a"
    _file(source / "alice" / "02_my_linear" / "my_linear.py")
    _file(source / "bob" / "04_collate" / "collate.py")
    archive = _zip_folder(source, tmp_path / "section-a.zip")

    entries = _find(archive, tmp_path)

    assert entries is not None
    assert [e.label for e in entries] == ["alice", "bob"]
    assert all(e.path.is_relative_to((tmp_path / "work").resolve()) for e in entries)
    assert _graded(entries[1], tmp_path) == {"04_collate"}


def test_labels_are_unique_and_sorted(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _file(root / "alice" / "my_linear.py")
    _file(root / "alice-2" / "my_linear.py")
    make_zip(root / "Alice.zip", {"my_linear.py": b"x = 1\n"})

    entries = _find(root, tmp_path)

    assert entries is not None
    assert [(e.label, e.path.name) for e in entries] == [
        ("Alice", "Alice.zip"), ("alice-2", "alice-2"), ("alice-3", "alice")]
    assert [bool(e.note) for e in entries] == [False, False, True]
    assert "also labelled alice" in entries[2].note and "alice-3" in entries[2].note


# ---- one submission, not a class -------------------------------------------


def test_the_release_layout_is_one_submission(tmp_path: Path) -> None:
    assert _find(REPO / "assignments", tmp_path) is None
    assert _find(REPO / "solutions", tmp_path) is None


@pytest.mark.parametrize("layout", [
    # A student's repository: the release layout at its top, beside other folders.
    {".git/HEAD": "x", "02_my_linear/my_linear.py": "x", "data/train.csv": "x",
     "experiments/old/my_linear.py": "x"},
    # A wrapper folder around one submission.
    {"alice/02_my_linear/my_linear.py": "x", "alice/04_collate/collate.py": "x"},
    # One submission split over folders next to unrelated ones.
    {"src/my_linear.py": "x", "lib/collate.py": "x", "notes/todo.txt": "x"},
    # Loose files at the top.
    {"my_linear.py": "x", "backup/my_linear.py": "x"},
])
def test_one_submission_is_not_taken_for_a_class(tmp_path: Path, layout: dict[str, str]
                                                 ) -> None:
    root = tmp_path / "student"
    for name, text in layout.items():
        _file(root / name, text)
    assert _find(root, tmp_path) is None


def test_a_student_zip_is_one_submission_and_leaves_nothing_behind(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "alice.zip", {"alice/02_my_linear/my_linear.py": b"x = 1\n",
                                            "alice/04_collate/collate.py": b"x = 1\n"})
    assert _find(archive, tmp_path) is None
    assert list((tmp_path / "work").iterdir()) == []
    assert _find(_file(tmp_path / "my_linear.py"), tmp_path) is None
    assert _find(tmp_path / "missing", tmp_path) is None


def test_a_folder_that_reads_both_ways_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "class"
    _file(root / "alice" / "my_linear.py")
    _file(root / "bob" / "my_linear.py")
    _file(root / "my_linear.py")  # whose?

    with pytest.raises(SubmissionError) as raised:
        _find(root, tmp_path)

    message = str(raised.value)
    assert "one submission" in message and "class" in message
    assert "my_linear.py" in message and "alice/" in message and "bob/" in message
    with pytest.raises(SubmissionError, match="different students' work"):
        open_submission(root, assignments=ALL, workdir=tmp_path / "work")


def test_students_beside_unrelated_folders_are_not_a_class(tmp_path: Path) -> None:
    """feedback/ holds other files, so this is not a folder of submissions; graded as
    one, the two students' files are an ambiguity that says what to do."""
    root = tmp_path / "course"
    _file(root / "alice" / "02_my_linear" / "my_linear.py")
    _file(root / "bob" / "02_my_linear" / "my_linear.py")
    _file(root / "feedback" / "alice.html", "<p>ok</p>")

    assert _find(root, tmp_path) is None
    with pytest.raises(SubmissionError) as raised:
        open_submission(root, assignments=ALL, workdir=tmp_path / "work")
    message = str(raised.value)
    assert "alice/02_my_linear/my_linear.py" in message
    assert "bob/02_my_linear/my_linear.py" in message
    assert "different students" in message


def test_a_class_opened_as_one_submission_says_what_it_left_out(tmp_path: Path) -> None:
    """open_submission grades what it is given; the zip beside alice's folder is not
    unpacked, and the missing assignments say so."""
    root = tmp_path / "hw1"
    linear = _file(root / "alice" / "my_linear.py")
    make_zip(root / "bob.zip", {"collate.py": b"x = 1\n"})
    assert [e.label for e in _find(root, tmp_path) or []] == ["alice", "bob"]

    opened = open_submission(root, assignments=ALL, workdir=tmp_path / "work")

    assert dict(opened.files) == {"02_my_linear": linear.resolve()}
    assert "bob.zip was not opened" in opened.notes["04_collate"]


# ---- nbgrader --------------------------------------------------------------


def _nbgrader_course(root: Path) -> Path:
    _notebook(root / "source" / "ps1" / "my_linear.ipynb")
    _notebook(root / "release" / "ps1" / "my_linear.ipynb")
    _file(root / "nbgrader_config.py", "c = get_config()\n")
    _notebook(root / "submitted" / "alice" / "ps1" / "my_linear.ipynb")
    _file(root / "submitted" / "alice" / "ps1" / "timestamp.txt", "2024-01-01 10:00:00\n")
    _notebook(root / "submitted" / "bob" / "ps1" / "collate.ipynb")
    _notebook(root / "autograded" / "alice" / "ps1" / "my_linear.ipynb")
    return root


@pytest.mark.parametrize("given", ["course", "course/submitted"])
def test_nbgrader_submitted_students(tmp_path: Path, given: str) -> None:
    course = _nbgrader_course(tmp_path / "course")

    entries = _find(tmp_path / given, tmp_path)

    submitted = (course / "submitted").resolve()
    assert entries == [Entry("alice", submitted / "alice"), Entry("bob", submitted / "bob")]
    assert [_graded(e, tmp_path) for e in entries] == [{"02_my_linear"}, {"04_collate"}]


def test_nbgrader_with_one_student(tmp_path: Path) -> None:
    _notebook(tmp_path / "submitted" / "alice" / "ps1" / "my_linear.ipynb")
    entries = _find(tmp_path / "submitted", tmp_path)
    assert entries is not None and [e.label for e in entries] == ["alice"]


# ---- course platforms ------------------------------------------------------

CANVAS = {
    "doejohn_LATE_42_1001_my_linear.py": b"late = True\n",
    "smithjane_7_2001_my_linear.py": b"version = 1\n",
    "smithjane_7_2002_my_linear-1.py": b"version = 2\n",
    "smithjane_7_2003_collate.ipynb": nbformat.writes(new_notebook()).encode(),
    "leeann_9_3001_hw1.zip": b"",  # replaced by a real zip below
    "smithjane_8_4001_my_linear.py": b"other = True\n",  # another student, same name
    "smithjane_8_4001_model-2.py": b"kept = True\n",
}


def _canvas_export(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, data in CANVAS.items():
        (folder / name).write_bytes(data)
    (folder / "leeann_9_3001_hw1.zip").unlink()
    make_zip(folder / "leeann_9_3001_hw1.zip", {"hw1/02_my_linear/my_linear.py": b"x = 1\n"})
    return folder


def _check_canvas(entries: list[Entry] | None, tmp_path: Path) -> None:
    assert entries is not None
    assert [e.label for e in entries] == ["doejohn", "leeann", "smithjane", "smithjane-2"]
    work = (tmp_path / "work").resolve()
    assert all(e.path.is_relative_to(work) for e in entries)
    doe, lee, jane, other = entries
    assert sorted(p.name for p in doe.path.iterdir()) == ["my_linear.py"]
    assert lee.path.suffix == ".zip" and _graded(lee, tmp_path) == {"02_my_linear"}
    assert sorted(p.name for p in jane.path.iterdir()) == ["collate.ipynb", "my_linear.py"]
    assert (jane.path / "my_linear.py").read_text() == "version = 2\n"  # the re-upload
    assert "latest upload of my_linear.py" in jane.note
    assert sorted(p.name for p in other.path.iterdir()) == ["model-2.py", "my_linear.py"]
    assert "also labelled smithjane" in other.note
    assert _graded(jane, tmp_path) == {"02_my_linear", "04_collate"}


def test_canvas_export_folder(tmp_path: Path) -> None:
    export = _canvas_export(tmp_path / "submissions")
    _check_canvas(_find(export, tmp_path), tmp_path)
    assert sorted(p.name for p in export.iterdir()) == sorted(CANVAS)  # left as it was


def test_canvas_export_zip(tmp_path: Path) -> None:
    export = _canvas_export(tmp_path / "export")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(export.iterdir()):
            zipped.write(path, path.name)
    shutil.rmtree(export)
    _check_canvas(_find(archive, tmp_path), tmp_path)


def test_a_canvas_export_opened_as_one_submission_is_named(tmp_path: Path) -> None:
    export = _canvas_export(tmp_path / "submissions")
    with pytest.raises(SubmissionError, match="Nothing to grade.*export of 4 students' files: "
                                              "grade it as a class"):
        open_submission(export, assignments=ALL, workdir=tmp_path / "work")


def test_moodle_folders_zip(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "HW1-12345.zip", {
        "Jane Doe_101_assignsubmission_file_/02_my_linear/my_linear.py": b"x = 1\n",
        "Jane Doe_101_assignsubmission_onlinetext_/onlinetext.html": b"<p>done</p>",
        "John Roe_102_assignsubmission_file_/hw.zip": _zip_bytes(
            tmp_path / "hw.zip", {"collate.py": b"x = 1\n"}),
        "Ann Lee_103_assignsubmission_file_/manual_autograd.ipynb":
            nbformat.writes(new_notebook()).encode(),
    })

    entries = _find(archive, tmp_path)

    assert entries is not None
    assert [(e.label, e.path.name) for e in entries] == [
        ("Ann Lee", "Ann Lee_103_assignsubmission_file_"),
        ("Jane Doe", "Jane Doe_101_assignsubmission_file_"),
        ("John Roe", "hw.zip")]
    assert [_graded(e, tmp_path) for e in entries] == [
        {"01_manual_autograd"}, {"02_my_linear"}, {"04_collate"}]


def _zip_bytes(path: Path, entries: dict[str, bytes]) -> bytes:
    return make_zip(path, entries).read_bytes()


def test_moodle_flat_files(tmp_path: Path) -> None:
    root = tmp_path / "moodle"
    _file(root / "Jane Doe_101_assignsubmission_file_my_linear.py")
    _file(root / "Jane Doe_101_assignsubmission_onlinetext_onlinetext.html", "<p>hi</p>")
    _file(root / "John Roe_102_assignsubmission_file_collate.py")

    entries = _find(root, tmp_path)

    assert entries is not None
    assert [e.label for e in entries] == ["Jane Doe", "John Roe"]
    assert [sorted(p.name for p in e.path.iterdir()) for e in entries] == [
        ["my_linear.py"], ["collate.py"]]


def test_an_export_with_nothing_to_grade_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "moodle"
    _file(root / "Jane Doe_101_assignsubmission_onlinetext_onlinetext.html", "<p>hi</p>")
    with pytest.raises(SubmissionError, match="no files to grade"):
        _find(root, tmp_path)
