"""The hostile submissions in ``attacks/``: one file each, read into an :class:`Attack`.

An attack file is what a hostile student hands in for one assignment, minus
the code they started from. It opens with a header of ``# key: value``
comment lines, then its docstring (what it tries, and what must happen
instead), then code:

* ``# target: 02_my_linear``: the assignment whose file carries the attack;
  the four other files of the submission are the reference solutions.
* ``# base: stub`` or ``# base: solution``: what the attack is appended to,
  the released stub (an attack that hopes to earn points) or the reference
  solution (one that hopes to disrupt grading).
* ``# expect: timeout, error``: statuses at least one check of the target
  must end with (optional).
* ``# stopped-at: contained``: the weakest isolation level (SECURITY.md)
  that must stop it; where grading runs below it, its tests are skipped.
* ``# layout: code`` (default), ``notebook`` (the file holds IPython cells
  split by ``# %%``), ``zip`` (a zip whose extra ``# member:`` entries try to
  escape the extraction folder), ``symlink`` (the file is a link to the
  reference solution), ``symlink-folder`` (the assignment's folder is),
  ``pycache`` (a bytecode cache of the reference solution sits beside the
  file) or ``beside`` (the attack is handed in as the files named by
  ``# beside:`` lines, next to the assignment's file and at the top).
* ``# order: late``: graded after the other attacks, just before the late
  controls (for attacks whose harm would show in what is graded after them).
* ``# known-limitation: 02_my_linear/device_and_dtype``: a check that grades
  *how* the code computes, from what is observed inside the sandbox (SECURITY.md,
  "Known limitations"); the attack may pass it where its control fails, and
  must earn nothing anywhere else (both are asserted).

A line ``# --- attack ---`` splits honest code from the attack: the part
before it is what the student really wrote (graded on its own as the
attack's control), the part after is the attack. Placeholders ``@NAME@`` are
filled in when the submission is built (see :data:`PLACEHOLDERS`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ATTACKS = Path(__file__).parent / "attacks"
LAYOUTS = ("code", "notebook", "zip", "symlink", "symlink-folder", "pycache", "beside")
LEVELS = ("process", "contained", "jailed")
SPLIT = "# --- attack ---"
PLACEHOLDERS = {
    "MARKER": "a unique string naming this attack in this run: canaries, processes, leaks",
    "KIT": "the kit's checkout (holds autograder/ and solutions/)",
    "OUT": "the batch's --out folder",
    "HOME": "the home folder of the user running the grader",
    "PORT": "a TCP port on 127.0.0.1 where the tests listen",
    "UNIX": "a Unix socket where the tests listen",
    "BATCH_TMP": "the TMPDIR of the grading run (its sentinel file marks it)",
    "TEST_UID": "the uid running the tests (and the grader)",
}


@dataclass(frozen=True)
class Attack:
    """One hostile submission's attack (see the module docstring).

    Attributes:
        name: The file's stem; part of the student's label.
        summary: The first line of its docstring.
        honest: Code before the split line (appended to the base in the control too).
        code: The attack itself, with its header and docstring.
        members: Extra zip members (``layout: zip``).
        beside: File names the attack is handed in as (``layout: beside``).
    """

    name: str
    summary: str
    target: str
    base: str
    layout: str
    level: str
    expect: tuple[str, ...]
    late: bool
    honest: str
    code: str
    members: tuple[str, ...]
    beside: tuple[str, ...] = ()
    limited: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The student's folder name in the class: attacks sort between the controls."""
        return f"{'80' if self.late else '50'}-{self.name}"

    @property
    def control(self) -> str:
        """The label of the submission graded as this one without the attack."""
        if self.honest.strip():
            return f"90-control-{self.name}"
        return "90-control-correct" if self.base == "solution" else f"90-control-stub-{self.target}"


def load_attacks(folder: Path = ATTACKS) -> list[Attack]:
    """Every attack in ``folder``, by name."""
    return [parse(path) for path in sorted(folder.iterdir())
            if path.suffix in (".py", ".ipy") and not path.name.startswith("_")]


def parse(path: Path) -> Attack:
    """Reads one attack file.

    Raises:
        ValueError: a header key is missing, unknown or has a bad value.
    """
    text = path.read_text()
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, _, value = line[2:].partition(":")
        header.setdefault(key.strip(), []).append(value.strip())
    unknown = set(header) - {"target", "base", "expect", "stopped-at", "layout", "order",
                             "known-limitation", "member", "beside"}
    if unknown or "target" not in header or "base" not in header:
        raise ValueError(f"{path.name}: needs '# target:' and '# base:' (unknown: {unknown})")
    honest, split, attack = text.partition(SPLIT + "\n")
    if not split:
        honest, attack = "", text
    else:
        honest = "\n".join(line for line in honest.splitlines()
                           if not (line.startswith("# ") and line in _lines(header)))
    layout = header.get("layout", ["code"])[0]
    level = header.get("stopped-at", ["process"])[0]
    base = header["base"][0]
    if layout not in LAYOUTS or level not in LEVELS or base not in ("stub", "solution"):
        raise ValueError(f"{path.name}: bad layout {layout!r}, level {level!r} or base {base!r}")
    return Attack(
        name=path.stem, summary=_summary(text, path), target=header["target"][0], base=base,
        layout=layout, level=level,
        expect=tuple(s.strip() for s in header.get("expect", [""])[0].split(",") if s.strip()),
        late=header.get("order", [""])[0] == "late", honest=honest, code=attack,
        members=tuple(header.get("member", ())), beside=tuple(header.get("beside", ())),
        limited=tuple(header.get("known-limitation", ())))


def _lines(header: dict[str, list[str]]) -> set[str]:
    return {f"# {key}: {value}" for key, values in header.items() for value in values}


def _summary(text: str, path: Path) -> str:
    """The docstring's first line (a notebook's cells are IPython, not Python)."""
    if path.suffix == ".py":
        docstring = ast.get_docstring(ast.parse(text))
    else:
        start = text.find('"""')
        docstring = text[start + 3:text.find('"""', start + 3)] if start >= 0 else ""
    if not docstring:
        raise ValueError(f"{path.name}: say in a docstring what the attack tries")
    return docstring.strip().splitlines()[0]


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``@NAME@`` of :data:`PLACEHOLDERS` replaced by its value."""
    for name in PLACEHOLDERS:
        text = text.replace(f"@{name}@", values[name])
    return text
