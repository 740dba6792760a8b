"""Hostile submissions against the real ``torchgrade grade``: what must hold after each.

Every attack in ``attacks/`` is handed in by one student of a class graded
in one batch (``--jobs 2 --timeout 2``), beside controls (see
:mod:`tests.adversarial.classroom`). For each attack:

* it earns no more than the same file without the attack;
* the student's four other (correct) files keep full marks;
* its checks end with a named status, the one it expects among them;
* nothing it started outlives the batch, nothing it wrote survives outside
  its scratch folder, and no result leaks a secret or reports an escape.

For the batch as a whole: it finishes in bounded time, the controls get
exactly the results they get when graded alone, the kit is unchanged, the
output folder holds only the judge's files, the host's disk is not filled,
and no connection reached the tests' listening sockets.

An attack declares the weakest isolation level that must stop it
(SECURITY.md); below that level its tests are skipped with the reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from autograder.results.model import CHECK_STATUSES
from autograder.results.store import file_name
from tests.adversarial.catalogue import LEVELS, Attack, load_attacks
from tests.adversarial.classroom import EARLY_CONTROL, LATE_CONTROL
from tests.adversarial.harness import KIT_TREES, SECRET_VARIABLE, HostileRun

pytestmark = pytest.mark.slow  # one batch of some sixty submissions, then its controls alone

ATTACKS = load_attacks()
BATCH_BOUND_SECONDS = 240
"""The hostile batch, hangs and all, finishes well within this (it takes about a minute)."""
TMP_BOUND = 512 << 20
"""Most the batch's TMPDIR may hold at any time, as the host sees it (scratch is bounded)."""
DISK_MARGIN = 2 << 30
"""How far the host's free space may move while the batch runs; generous, since other
work on the machine moves it too (the disk-filling attack would take 4 GiB unbounded)."""
RESULT_BYTES = 1 << 20
"""Largest result document of one submission: output and feedback are truncated."""


def _stopped_here(run: HostileRun, attack: Attack) -> None:
    if LEVELS.index(run.level) < LEVELS.index(attack.level):
        pytest.skip(f"{attack.name} is stopped at level '{attack.level}'; sandboxes here "
                    f"are '{run.level}' (SECURITY.md)")


def _assignment(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in document["assignments"] if a["name"] == name)


def _graded(run: HostileRun, label: str) -> dict[str, Any]:
    assert label in run.batch.results, (
        f"{label} has no result in the batch (exit {run.batch.returncode}):\n"
        f"{run.batch.output[-3000:]}")
    return run.result(label)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_the_attack_earns_nothing(hostile: HostileRun, attack: Attack) -> None:
    """The attacked file scores no more than the same file without the attack."""
    _stopped_here(hostile, attack)
    got = _assignment(_graded(hostile, attack.label), attack.target)
    want = _assignment(_graded(hostile, attack.control), attack.target)
    allowed = {c["id"]: c["points"] for c in want["checks"]}
    allowed.update({c["id"]: c["max_points"] for c in want["checks"] if c["id"] in attack.limited})
    assert set(attack.limited) <= set(allowed), f"{attack.name}: unknown checks {attack.limited}"
    assert all(c["points"] <= allowed.get(c["id"], 0) for c in got["checks"]), (
        f"{attack.name}: {got['score']} points with the attack, {want['score']} without: "
        + "; ".join(f"{c['id']}: {c['status']}" for c in got["checks"]))
    assert got["score"] <= want["score"] + sum(
        c["max_points"] for c in want["checks"] if c["id"] in attack.limited)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_the_attacked_checks_end_with_a_named_status(hostile: HostileRun,
                                                     attack: Attack) -> None:
    """Every check of the attacked file ends with a status of SPEC §3, the expected among them."""
    _stopped_here(hostile, attack)
    got = _assignment(_graded(hostile, attack.label), attack.target)
    statuses = {check["status"] for check in got["checks"]}
    assert statuses <= set(CHECK_STATUSES), f"{attack.name}: unnamed statuses {statuses}"
    assert got["status"] in ("graded", "missing", "error")
    if attack.expect:
        assert statuses & set(attack.expect), (
            f"{attack.name}: expected one of {attack.expect} among {sorted(statuses)}: "
            + " | ".join(c["feedback"][:200] for c in got["checks"]))
    assert all(check["feedback"] for check in got["checks"] if check["status"] != "passed")
    if attack.layout in ("symlink", "symlink-folder"):
        assert "link" in got.get("message", ""), (
            f"{attack.name}: the student is not told that their link was not followed: "
            f"{got.get('message')!r}")


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_the_other_assignments_keep_full_marks(hostile: HostileRun, attack: Attack) -> None:
    """The student's four correct files are graded as if nothing happened.

    A zip whose members climb out of it may instead be refused whole (a row
    with status ``error`` and a message saying why).
    """
    _stopped_here(hostile, attack)
    document = _graded(hostile, attack.label)
    if attack.layout == "zip" and document["status"] == "error":
        assert document.get("message"), "a refused zip needs a message saying why"
        return
    for assignment in document["assignments"]:
        if assignment["name"] == attack.target:
            continue
        lost = [f"{c['id']}: {c['status']}: {c['feedback'][:300]}"
                for c in assignment["checks"] if c["status"] != "passed"]
        assert assignment["score"] == assignment["max_score"] and not lost, (
            f"{attack.name} cost {assignment['name']} points: {lost}")


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_nothing_of_the_attack_outlives_or_escapes_its_sandbox(hostile: HostileRun,
                                                               attack: Attack) -> None:
    """No process, file, connection or leaked secret of this attack is left after the batch."""
    _stopped_here(hostile, attack)
    marker = hostile.values[attack.name]["MARKER"]
    alive = [f"{p.pid} (uid {p.uid}): {p.command[:200]}" for p in hostile.leftovers
             if p.mentions(marker)]
    assert not alive, f"{attack.name} left processes running: {alive}"
    strays = hostile.strays.of(marker)
    assert not strays, f"{attack.name} wrote outside its scratch folder: {strays}"
    assert not [data for data in hostile.connections if marker.encode() in data]
    text = json.dumps(_graded(hostile, attack.label))
    assert f"{marker}:escaped" not in text, _escape_report(text, marker)
    assert f"{hostile.token}-secret" not in text, f"{attack.name} read the grader's secret"
    assert len(text) < RESULT_BYTES, f"{attack.name}'s result is {len(text)} bytes"


def _escape_report(text: str, marker: str) -> str:
    at = text.find(f"{marker}:escaped")
    return f"the attack reports an escape: {text[at:at + 400]}"


def test_the_batch_grades_everyone_in_bounded_time(hostile: HostileRun) -> None:
    """One hostile class does not stop, hang or crash the batch."""
    batch = hostile.batch
    assert batch.returncode == 0, f"exit {batch.returncode}:\n{batch.output[-3000:]}"
    assert batch.seconds < BATCH_BOUND_SECONDS, f"the batch took {batch.seconds:.0f} s"
    assert set(batch.results) == set(hostile.students), (
        f"no result for {sorted(set(hostile.students) - set(batch.results))}")
    assert set(batch.gradebook) == set(hostile.students)


def test_the_controls_are_graded_exactly_as_when_alone(hostile: HostileRun) -> None:
    """Attacks graded before (and beside) the controls change nothing of their results."""
    controls = [label for label, s in hostile.students.items() if s.attack is None]
    assert {EARLY_CONTROL, LATE_CONTROL} <= set(controls)
    for label in controls:
        beside = _verdicts(_graded(hostile, label))
        alone = _verdicts(hostile.alone.results[label])
        assert beside == alone, f"{label} differs when graded alone: " + "; ".join(
            f"{b} beside attacks, {a} alone"
            for b, a in zip(beside, alone, strict=False) if a != b)
    for label in (EARLY_CONTROL, LATE_CONTROL):
        assert hostile.result(label)["score"] == hostile.result(label)["max_score"]


def _verdicts(document: dict[str, Any]) -> list[tuple[str, str, float, str]]:
    return [(check["id"], check["status"], check["points"], check["feedback"])
            for assignment in document["assignments"] for check in assignment["checks"]]


def test_no_process_of_the_batch_outlives_it(hostile: HostileRun) -> None:
    """Nothing started by the grader or by student code is alive once the batch is over."""
    _at_least(hostile, "contained")
    alive = [f"{p.pid} (uid {p.uid}, {p.state}): {p.command[:160]}" for p in hostile.leftovers]
    assert not alive, f"still running after the batch: {alive}"


def test_the_kit_is_unchanged(hostile: HostileRun) -> None:
    """Nothing new under ``autograder/`` or ``solutions/`` came from a submission."""
    _at_least(hostile, "contained")
    markers = [values["MARKER"] for values in hostile.values.values()]
    planted = [p for m in markers for p in hostile.strays.of(m)
               if any(part in KIT_TREES for part in p.parts)]
    assert not planted, f"written into the kit: {planted}"
    ours = [line for line in hostile.kit_changes if any(m in line for m in markers)]
    assert not ours, f"git status of the kit shows new entries from attacks: {ours}"


def test_the_output_folder_holds_only_the_judges_files(hostile: HostileRun) -> None:
    """``--out`` holds one result per student, as the judge graded them, and no file that
    student code wrote there (a fake result, a canary)."""
    _at_least(hostile, "contained")
    out = hostile.batch.out
    results = {p.name for p in (out / "results").iterdir()}
    assert results == {f"{file_name(label)}.json" for label in hostile.students}
    markers = [values["MARKER"] for values in hostile.values.values()]
    planted = [p for p in out.rglob("*") if any(m in p.name for m in markers)
               or p.name in ("result.json", "results.json")]
    assert not planted, f"files in --out that the judge did not write: {planted}"
    for label, document in hostile.batch.results.items():
        row = hostile.batch.gradebook[label]
        assert float(row["total"]) == document["score"], f"{label}'s saved result was changed"


def test_the_host_disk_is_not_filled(hostile: HostileRun) -> None:
    """A disk-filling attack is bounded by its scratch folder, not by the host's disk."""
    _at_least(hostile, "contained")
    assert hostile.tmp_peak < TMP_BOUND, (
        f"the batch's TMPDIR held up to {hostile.tmp_peak / 2**20:.0f} MiB")
    dip = hostile.free_before - hostile.free_lowest
    assert dip < DISK_MARGIN, f"the host lost {dip / 2**20:.0f} MiB of free space meanwhile"
    left = hostile.free_before - hostile.free_after
    assert left < DISK_MARGIN, f"the host has {left / 2**20:.0f} MiB less free space after"


def test_no_connection_reached_the_graders_sockets(hostile: HostileRun) -> None:
    """The tests' TCP port on 127.0.0.1 and Unix socket heard from no sandbox."""
    _at_least(hostile, "contained")
    assert hostile.connections == []


def test_no_output_mentions_the_graders_secret(hostile: HostileRun) -> None:
    """A secret in the grader's environment reaches no result and no printed output."""
    _at_least(hostile, "contained")
    secret = f"{hostile.token}-secret"
    assert secret not in hostile.batch.output
    leaked = [label for label, doc in hostile.batch.results.items()
              if secret in json.dumps(doc)]
    assert not leaked, f"{SECRET_VARIABLE} leaked into the results of {leaked}"


def test_every_result_records_its_isolation_level(hostile: HostileRun) -> None:
    for label, document in hostile.batch.results.items():
        if document["status"] == "graded":
            assert document["isolation"].get("level") in LEVELS, label
        else:  # an input refused before any code of it ran (zip-slip)
            assert document["isolation"]["level"] in (*LEVELS, "none"), label


def _at_least(run: HostileRun, level: str) -> None:
    if LEVELS.index(run.level) < LEVELS.index(level):
        pytest.skip(f"this needs sandboxes at level '{level}'; here they are '{run.level}'")
