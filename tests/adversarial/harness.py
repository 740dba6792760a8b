"""Grading the hostile class with the real command, and collecting what it left.

:func:`grade_hostile_class` builds the class (:mod:`tests.adversarial.classroom`),
grades it with ``torchgrade grade CLASS --out OUT --jobs 2 --timeout 2
--details`` while :class:`~tests.adversarial.watch.Watch` samples the machine,
grades the controls again on their own, and returns everything the tests
assert on as a :class:`HostileRun`. What the attacks managed to leave
behind is removed (processes at once, files by :func:`clean_up`), so that a
failing run does not spoil the machine for the next one.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.results.store import file_name
from tests.adversarial.catalogue import Attack, load_attacks
from tests.adversarial.classroom import Student, build_class, controls_only
from tests.adversarial.watch import Listener, Process, Strays, Watch, find_strays, git_status
from tests.conftest import ROOT

TIMEOUT_SECONDS = 2
"""``--timeout``: each call into student code; a hanging attack costs about this."""
BATCH_LIMIT_SECONDS = 300
"""Longest the hostile batch may take before it is killed and reported as hung."""
KIT_TREES = ("autograder", "solutions")
SECRET_VARIABLE = "TORCHGRADE_ADVERSARIAL_SECRET"
"""Set in the grader's environment, as a CI secret would be: no result may show it."""


def torchgrade() -> list[str]:
    """The console script of the environment running the tests."""
    script = Path(sys.executable).with_name("torchgrade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder.cli"]


@dataclass
class Graded:
    """One run of ``torchgrade grade`` over a class folder."""

    returncode: int
    seconds: float
    output: str
    results: dict[str, dict[str, Any]]
    gradebook: dict[str, dict[str, str]]
    out: Path


@dataclass
class HostileRun:
    """Everything the adversarial tests assert on (one batch per test module)."""

    token: str
    seed: int
    attacks: dict[str, Attack]
    students: dict[str, Student]
    values: dict[str, dict[str, str]]
    batch: Graded
    alone: Graded
    leftovers: list[Process]
    strays: Strays
    connections: list[bytes]
    kit_changes: set[str]
    free_before: int
    free_lowest: int
    free_after: int
    tmp_peak: int
    places: dict[str, Path] = field(default_factory=dict)

    def result(self, label: str) -> dict[str, Any]:
        return self.batch.results[label]

    @property
    def level(self) -> str:
        """The isolation level the batch's sandboxes reached (from its results)."""
        order = ("process", "contained", "jailed")
        levels = {doc.get("isolation", {}).get("level", "process")
                  for doc in self.batch.results.values()} & set(order)  # "none": no code ran
        return min(levels, key=order.index) if levels else "process"


def grade_hostile_class(tmp: Path) -> HostileRun:
    """Builds the hostile class in ``tmp``, grades it, then grades the controls alone."""
    token = f"tgadv{secrets.token_hex(4)}"
    seed = secrets.randbits(31)
    places = {name: tmp / name for name in ("class", "out", "alone", "alone-out", "desk",
                                            "batch-tmp")}
    for name in ("desk", "batch-tmp"):
        places[name].mkdir(parents=True)
    (places["batch-tmp"] / f".torchgrade-adversarial-{token}").touch()
    attacks = {a.name: a for a in load_attacks()}
    listener = Listener(tmp / "judge.sock")
    values = {name: {"MARKER": f"{token}_{name}", "KIT": str(ROOT), "OUT": str(places["out"]),
                     "HOME": str(Path.home()), "PORT": str(listener.port),
                     "UNIX": str(listener.unix_path), "BATCH_TMP": str(places["batch-tmp"]),
                     "TEST_UID": str(os.getuid())} for name in attacks}
    students = build_class(places["class"], list(attacks.values()), values)
    kit_before = git_status(ROOT, *KIT_TREES)
    env = os.environ | {"TMPDIR": str(places["batch-tmp"]), SECRET_VARIABLE: f"{token}-secret"}
    try:
        with Watch(batch_tmp=places["batch-tmp"], token=token) as watch:
            batch = grade(places["class"], places["out"], seed=seed, env=env,
                          cwd=places["desk"], labels=list(students))
        leftovers = watch.leftovers()
        end_processes(leftovers, watch)
        free_after = shutil.disk_usage(places["batch-tmp"]).free
    finally:
        listener.close()
    alone_class = controls_only(students, places["alone"])
    alone = grade(places["alone"], places["alone-out"], seed=seed, env=env, cwd=places["desk"],
                  labels=list(alone_class), jobs=1)  # one judge: no pool to warm up
    markers = [v["MARKER"] for v in values.values()]
    strays = find_strays(
        markers, deep=[ROOT / tree for tree in KIT_TREES] + [tmp],
        shallow=[*tmp.parents, Path("/var/tmp"), Path("/dev/shm"), Path.home()],
        read=[ROOT / tree for tree in KIT_TREES], judged=[places["out"], places["alone-out"]])
    return HostileRun(
        token=token, seed=seed, attacks=attacks, students=students, values=values,
        batch=batch, alone=alone, leftovers=leftovers, strays=strays,
        connections=list(listener.received),
        kit_changes=git_status(ROOT, *KIT_TREES) - kit_before,
        free_before=watch.free_before, free_lowest=watch.free_lowest, free_after=free_after,
        tmp_peak=watch.tmp_peak,
        places=places)


def grade(folder: Path, out: Path, *, seed: int, env: dict[str, str], cwd: Path,
          labels: list[str], jobs: int = 2) -> Graded:
    """``torchgrade grade FOLDER --out OUT --jobs 2 --timeout 2 --details``, bounded in time."""
    command = [*torchgrade(), "grade", str(folder), "--out", str(out), "--jobs", str(jobs),
               "--timeout", str(TIMEOUT_SECONDS), "--details", "--seed", str(seed)]
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=BATCH_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    seconds = time.monotonic() - start
    return Graded(returncode=process.returncode, seconds=seconds,
                  output=output.decode(errors="replace"), results=_results(out, labels),
                  gradebook=_gradebook(out), out=out)


def _results(out: Path, labels: list[str]) -> dict[str, dict[str, Any]]:
    """Each student's saved result, read from the file the store names after its label."""
    found = {}
    for label in labels:
        path = out / "results" / f"{file_name(label)}.json"
        if path.exists():
            found[label] = json.loads(path.read_text())
    return found


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    path = out / "gradebook.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    key = next(iter(rows[0])) if rows else ""
    return {row[key]: row for row in rows}


def end_processes(leftovers: list[Process], watch: Watch) -> None:
    """SIGKILLs what the batch left running, each checked again just before: a pid that
    was reused meanwhile is another program's, and is left alone."""
    still = {p.pid for p in watch.leftovers(grace=0)}
    for process in leftovers:
        if process.pid in still:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def clean_up(run: HostileRun) -> None:
    """Removes every file an attack left: the canaries, and its lines in the kit's files."""
    markers = [v["MARKER"] for v in run.values.values()]
    for paths in run.strays.found.values():
        for path in paths:
            _remove_marked(path, markers)


def _remove_marked(path: Path, markers: list[str]) -> None:
    """Deletes a stray file, or, for a kit file the attack appended to, its marked lines."""
    in_kit = any(path.is_relative_to(ROOT / tree) for tree in KIT_TREES)
    if not in_kit or any(m in path.name for m in markers):
        path.unlink(missing_ok=True)
        return
    text = path.read_text(errors="replace")
    kept = [line for line in text.splitlines(keepends=True)
            if not any(m in line for m in markers)]
    path.write_text("".join(kept).rstrip("\n") + "\n")
