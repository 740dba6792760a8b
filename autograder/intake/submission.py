"""Resolve what was passed to ``torchgrade grade`` into each assignment's file.

A submission arrives as a folder, a ``.zip`` of one, or a single
``.py``/``.ipynb``. This module turns any of them into one
:class:`Submission`: which file is graded for which assignment, plus notes
the student should read (a copy left out, a link ignored, a file named almost
right). Only the expected file names are ever picked, so a ``conftest.py``,
``sitecustomize.py``, ``.pth`` or ``torch.py`` that comes with a submission
is never used.

Students do not keep the release layout exactly, so a folder (or an extracted
zip; zips inside it are not opened) is searched at any depth
(:mod:`autograder.intake.search`). Which file is graded for an assignment:

* a file in a folder named exactly like the assignment (``02_my_linear/``)
  comes before the others, as in the release;
* files left after that in different folders (``a/my_linear.py`` and
  ``b/my_linear.py``) are an ambiguity, a :class:`SubmissionError` that names
  them, since grading either could grade the wrong work;
* a ``.py`` and an ``.ipynb`` side by side are the release's two copies, and
  :func:`autograder.intake.copies.pick` grades the one the student worked in.

An input where nothing at all is recognised (an empty folder, a zip of
something else) is a :class:`SubmissionError` that says what was looked for
and what was found, instead of a report with every assignment missing; when
it is a course export, the message says so. A submission with only some of
the files is valid: the missing ones score 0. Whether a folder is one
submission or a whole class is :mod:`autograder.intake.classroom`'s to tell,
before this module is asked to open one submission. Zips are extracted by
:mod:`autograder.intake.archive`, which trusts nothing in them. Everything is
explicit: paths come in as arguments, nothing changes the working directory
or global state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from autograder.intake.archive import MAX_ZIP_BYTES, MAX_ZIP_ENTRIES, extract, unwrapped
from autograder.intake.classroom import detect
from autograder.intake.copies import pick
from autograder.intake.errors import SubmissionError
from autograder.intake.search import Walk, describe, search
from autograder.registry import Assignment

__all__ = ["MAX_ZIP_BYTES", "MAX_ZIP_ENTRIES", "Submission", "SubmissionError",
           "open_submission"]

_EXPECTED = (
    "Expected a submission folder laid out like the student release, a .zip of one, "
    "or a single .py/.ipynb file (with --assignment)."
)


@dataclass(frozen=True)
class Submission:
    """One student's work, resolved to a file per assignment.

    Attributes:
        label: Name shown in the gradebook: the folder's name, the zip's stem
            or the single file's stem.
        root: The folder searched (for a zip, where it was extracted).
        files: Assignment name -> the student's ``.py`` or ``.ipynb``, only
            for the assignments found.
        notes: Assignment name -> a note for the student about how their
            file was chosen (or why a file was not).
        assignments: The assignments this submission is graded on, in order;
            any without an entry in ``files`` is missing. ``open_submission``
            always fills it.
    """

    label: str
    root: Path
    files: Mapping[str, Path]
    notes: Mapping[str, str] = field(default_factory=dict)
    assignments: tuple[Assignment, ...] = ()

    def __post_init__(self) -> None:
        # Read-only views: a Submission is shared by every check of a run.
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))
        object.__setattr__(self, "notes", MappingProxyType(dict(self.notes)))
        object.__setattr__(self, "assignments", tuple(self.assignments))


def open_submission(
    path: Path,
    *,
    assignments: Sequence[Assignment],
    workdir: Path,
    assignment: Assignment | None = None,
) -> Submission:
    """Resolves a submission folder, zip or single file.

    Args:
        path: What the user passed to ``torchgrade grade``.
        assignments: The assignments to look for.
        workdir: An existing or creatable folder; a zip is extracted into a
            fresh subfolder of it, which the caller cleans up.
        assignment: From ``--assignment``: the assignment a single file is
            graded as. With a folder or zip, only this one is looked for.

    Returns:
        The resolved submission. Missing files are not an error: they score 0.

    Raises:
        SubmissionError: if ``path`` does not exist, is not a folder, ``.zip``,
            ``.py`` or ``.ipynb``, is a broken or unsafe zip, is a single
            file whose assignment cannot be told, holds no assignment file at
            all, or holds two candidates for one assignment that no rule orders.
    """
    path = Path(path)
    wanted = (assignment,) if assignment is not None else tuple(assignments)
    try:
        is_dir, is_file = path.is_dir(), path.is_file()
    except OSError as exc:
        raise SubmissionError(f"Cannot read {path}: {exc.strerror}. {_EXPECTED}") from None
    if is_dir:
        root = path.resolve()
        shown = root.name if str(path) in ("", ".") else str(path)
        return _open_directory(root, root, label=root.name or str(root), shown=shown,
                               wanted=wanted, everything=tuple(assignments), archive=False)
    if not is_file:
        what = "does not exist" if not path.exists() else "is not a regular file or folder"
        raise SubmissionError(f"{path} {what}. {_EXPECTED}")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        extracted = extract(path, Path(workdir))
        return _open_directory(unwrapped(extracted), extracted, label=path.stem,
                               shown=path.name, wanted=wanted, everything=tuple(assignments),
                               archive=True)
    if suffix in (".py", ".ipynb"):
        return _open_file(path, tuple(assignments), assignment)
    raise SubmissionError(f"{path.name} is not a folder, .zip, .py or .ipynb file. {_EXPECTED}")


def _open_file(
    path: Path, assignments: tuple[Assignment, ...], assignment: Assignment | None
) -> Submission:
    """A lone file: its assignment comes from ``--assignment`` or its exact name."""
    stem = path.stem
    if assignment is None:
        namesakes = [a for a in assignments if a.module == stem]
        if len(namesakes) != 1:
            known = ", ".join(a.name for a in assignments) or "none"
            raise SubmissionError(
                f"Cannot tell which assignment {path.name} belongs to: only a file named "
                f"exactly like an assignment's file (e.g. my_linear.py) is recognised. "
                f"Pass --assignment NAME (one of: {known})."
            )
        assignment = namesakes[0]
    file = path.parent.resolve() / path.name
    return Submission(stem, file.parent, {assignment.name: file}, {}, (assignment,))


def _open_directory(root: Path, top: Path, *, label: str, shown: str,
                    wanted: tuple[Assignment, ...], everything: tuple[Assignment, ...],
                    archive: bool) -> Submission:
    """Finds each wanted assignment's file at any depth of ``root``.

    Args:
        root: The folder to search (resolved).
        top: What the user handed in: ``root``, or the extraction folder of a
            zip (``root`` may be its single top-level folder).
        label: The submission's label.
        shown: How messages name what the user passed.
        wanted: The assignments to find.
        everything: All assignments, to recognise a course export in a message.
        archive: Whether the user handed in a zip (for messages).
    """
    names = [n for a in wanted for n in (a.filename, a.notebook_filename)]
    found = search(root, names, [a.name for a in wanted], label=shown)
    files: dict[str, Path] = {}
    notes: dict[str, str] = {}
    for assignment in wanted:
        chosen, note = _find_file(root, found, assignment, shown)
        if chosen is not None:
            files[assignment.name] = chosen
        if note:
            notes[assignment.name] = note
    if not files and not notes:
        raise _nothing_found(root, top, shown, wanted, everything, archive=archive)
    unopened = _unopened_zips(root, found)
    for assignment in wanted:
        if unopened and assignment.name not in files:
            notes[assignment.name] = " ".join(filter(None, (notes.get(assignment.name),
                                                            unopened)))
    return Submission(label=label, root=root, files=files, notes=notes, assignments=wanted)


def _find_file(root: Path, found: Walk, assignment: Assignment, shown: str
               ) -> tuple[Path | None, str]:
    """Returns the file to grade (or None) and a note about the choice.

    Raises:
        SubmissionError: two candidates that no rule orders.
    """
    remarks = [
        f"Ignored {_shown(path, root)}: it {why}."
        for name in (assignment.filename, assignment.notebook_filename, assignment.name)
        for path, why in found.refused.get(name, [])
    ]
    candidates = (found.hits.get(assignment.filename, [])
                  + found.hits.get(assignment.notebook_filename, []))
    if not candidates:
        return None, " ".join(remarks + _near_misses(root, found, assignment))
    in_folder = [c for c in candidates if c.parent.name == assignment.name]
    best = in_folder or candidates
    places = sorted({c.parent for c in best})
    if len(places) > 1:
        raise _ambiguous(root, assignment, [c for p in places for c in best if c.parent == p],
                         shown)
    scripts = [c for c in best if c.suffix == ".py"]
    notebooks = [c for c in best if c.suffix == ".ipynb"]
    chosen, why = pick(scripts[0], notebooks[0]) if scripts and notebooks else (best[0], None)
    notes = []
    if why is not None:
        other = notebooks[0] if chosen == scripts[0] else scripts[0]
        notes.append(_found_note(root, chosen, [other], why))
    passed_over = [c for c in candidates if c not in best]
    if passed_over:
        notes.append(_found_note(root, chosen, passed_over,
                                 "the assignment's folder comes first"))
    return chosen, " ".join(notes + remarks)


def _unopened_zips(root: Path, found: Walk) -> str:
    """A note for the missing assignments when the submission holds zips ("" if none).

    Zips inside a submission are never unpacked (one level of archive only),
    so a student who zipped their work inside their folder is told why it
    was not found.
    """
    zips = [_shown(path, root) for path in found.files if path.suffix.lower() == ".zip"]
    if not zips:
        return ""
    named = ", ".join(zips[:3]) + (f" and {len(zips) - 3} more" if len(zips) > 3 else "")
    return (f"{named} {'was' if len(zips) == 1 else 'were'} not opened: a zip inside a "
            f"submission is never unpacked, so unpack it and submit its files.")


def _found_note(root: Path, chosen: Path, others: list[Path], why: str) -> str:
    """The note on a choice between copies: which were found, which was graded and why."""
    also = " and ".join(_shown(p, root) for p in others)
    return (f"Found {_shown(chosen, root)} and also {also}; graded {_shown(chosen, root)}: "
            f"{why}. Remove the copy you do not want graded.")


def _ambiguous(root: Path, assignment: Assignment, paths: list[Path], shown: str
               ) -> SubmissionError:
    """The error for candidates in different folders that no rule orders.

    Only the release's own pair, a ``.py`` and an ``.ipynb`` side by side,
    is settled by reading the code; copies in two places may be two
    versions, or two students' work, and grading either could be wrong.
    """
    named = [_shown(p, root) for p in paths]
    listed = " and ".join(named[:2]) + (f" (and {len(named) - 2} more)" if len(named) > 2 else "")
    message = (
        f"{shown} holds {assignment.filename} (or .ipynb) in more than one place: {listed}, "
        f"and nothing tells which one to grade. Keep only one (the student release has it at "
        f"{assignment.name}/{assignment.filename}) and resubmit."
    )
    if len({name.split("/")[0] for name in named}) > 1:
        message += (" If these folders are different students' work, grade each on its own, "
                    "or all of them as a class.")
    return SubmissionError(message)


def _nothing_found(root: Path, top: Path, shown: str, wanted: tuple[Assignment, ...],
                   everything: tuple[Assignment, ...], *, archive: bool) -> SubmissionError:
    """The error for an input in which no assignment file is recognised.

    A course export (renamed files, per-student folders of zips) holds no
    file of an expected name either, so it is named when recognised.
    """
    looked = ", ".join(f"{a.filename} or .ipynb" for a in wanted)
    listing = describe(top)
    if listing == "nothing":
        held = "an empty zip" if archive else "an empty folder"
    else:
        held = f"only {listing}"
    try:
        layout = detect(root, everything, shown=shown)
    except SubmissionError:
        layout = None
    advice = _EXPECTED if layout is None else (
        f"It looks like {layout.description}: grade it as a class, one submission per student.")
    return SubmissionError(
        f"Nothing to grade in {shown}: looked for {looked} (at any depth) and found {held}. "
        f"{advice}"
    )


def _near_misses(root: Path, found: Walk, assignment: Assignment) -> list[str]:
    """Names a file that was probably meant, since names must match exactly."""
    module = assignment.module.casefold()
    prefixes = (assignment.filename.casefold(), assignment.notebook_filename.casefold())
    seen = []
    for path in found.files:
        lowered = path.name.casefold()
        if lowered.startswith(module) and (lowered.endswith((".py", ".ipynb"))
                                           or lowered.startswith(prefixes)):
            seen.append(_shown(path, root))
    if not seen:
        return []
    return [
        f"Expected {assignment.name}/{assignment.filename} (or {assignment.notebook_filename}) "
        f"but found only {', '.join(seen[:5])}: the file name must match exactly."
    ]


def _shown(path: Path, root: Path) -> str:
    """A path as the student knows it: relative to their submission."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
