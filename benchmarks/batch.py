"""A class of 200 graded in one command, against the import-torch floor and nbgrader.

Run by hand (``python benchmarks/batch.py``), never as a timed test. In one run
on one machine it measures:

* the floor, ``python -c "import torch"`` (median of three);
* ``torchgrade grade CLASS --out DIR --jobs 2`` on 200 generated submissions
  (correct work, every catalogued mistake and alternative, stubs, and broken
  inputs: syntax errors, a damaged zip, an empty folder): submissions per
  second, the wall time per submission as a ratio to the floor, and the peak
  memory of the whole process tree (judges, zygotes, sandboxes), sampled;
* a cold single ``torchgrade grade solutions`` (median of three);
* ``nbgrader autograde`` of the same code as notebooks, for the first
  ``--nbgrader`` submissions of the class (nbgrader needs a kernel per
  notebook, so 200 would take most of an hour), per submission.

It prints a table and writes it into benchmarks/README.md between markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.catalogue import apply, load_catalogue  # noqa: E402
from autograder.registry import Assignment, discover  # noqa: E402
from autograder.release.notebooks import render_source_notebooks  # noqa: E402

SOLUTIONS, STUBS = ROOT / "solutions", ROOT / "assignments"
FLOOR = [sys.executable, "-c", "import torch"]  # what every ratio is set against
START, END = "<!-- batch.py: begin -->", "<!-- batch.py: end -->"


def wall(command: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def median_wall(command: list[str], repeat: int = 3) -> float:
    return statistics.median(wall(command) for _ in range(repeat))


def make_class(root: Path, count: int) -> list[Path]:
    """``count`` submissions: the catalogue's variants, correct copies, stubs, broken ones."""
    assignments = discover()
    by_name = {a.name: a for a in assignments}
    catalogue = load_catalogue(ROOT / "tests" / "catalogue",
                               assignments=[a.name for a in assignments])
    variants = [*catalogue.mistakes, *catalogue.alternatives]
    folders: list[Path] = []
    for i in range(count):
        folder = root / f"s{i:03d}"
        kind = i % 10
        if kind == 9 and i % 20 == 9:
            (root / f"s{i:03d}.zip").write_bytes(b"PK\x03\x04 damaged")
            folders.append(root / f"s{i:03d}.zip")
            continue
        if kind == 9:
            folder.mkdir()  # an empty folder: refused, a row with status error
        elif kind == 8:
            shutil.copytree(STUBS, folder, ignore=shutil.ignore_patterns("*.ipynb", "*.md"))
        else:
            shutil.copytree(SOLUTIONS, folder)
            if kind < 6:
                variant = variants[(i // 10 * 6 + kind) % len(variants)]
                path = folder / variant.assignment / by_name[variant.assignment].filename
                path.write_text(apply(path.read_text(), variant.edits))
            elif kind == 6:
                path = folder / "03_custom_dataset" / "custom_dataset.py"
                path.write_text(path.read_text() + "\ndef broken(:\n")
        folders.append(folder)
    return folders


def tree_memory(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in
                          (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        children.setdefault(int(fields["PPid"]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total


def grade_class(folder: Path, out: Path, jobs: int) -> tuple[float, int]:
    """Seconds for ``torchgrade grade`` of the class, and the peak memory of its tree."""
    command = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out",
               str(out), "--jobs", str(jobs), "--seed", "1"]
    peak, done = 0, threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory(process.pid))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"torchgrade grade exited {code}")
    return elapsed, peak


def nbgrader_seconds(folders: list[Path], work: Path) -> float:
    """Wall time of one ``nbgrader autograde`` of ``folders`` as filled notebooks."""
    from tests.test_nbgrader import CONFIG, COURSE, PS, _environment

    assignments = discover()
    course, env = work / "course", _environment(work / "home")
    sources = render_source_notebooks(solutions=SOLUTIONS, assignments=assignments)
    (course / "source" / PS).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(course=COURSE, root=str(course)))
    for assignment in assignments:
        key = f"{assignment.name}/{assignment.notebook_filename}"
        (course / "source" / PS / assignment.notebook_filename).write_text(sources[key])
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", PS, "--force"], cwd=course, env=env,
                   check=True, capture_output=True)
    for folder in folders:
        student = course / "submitted" / folder.name.removesuffix(".zip") / PS
        student.mkdir(parents=True)
        if not folder.is_dir() or not any(folder.iterdir()):
            continue  # nothing to hand in: nbgrader records it as missing
        for assignment in assignments:
            released = (course / "release" / PS / assignment.notebook_filename).read_text()
            notebook = _as_notebook(folder, assignment, released)
            (student / assignment.notebook_filename).write_text(json.dumps(notebook))
    start = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", PS, "--force"], cwd=course, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def _as_notebook(folder: Path, assignment: Assignment, released: str) -> dict[str, Any]:
    """The released notebook with the student's code of ``assignment`` in its solution cells.

    Stubs (no solution markers) are handed in as released; a file that does not
    parse goes in whole, appended to the last solution cell, as a student would.
    """
    from tests.conftest import fill_notebook

    path = folder / assignment.name / assignment.filename
    text = path.read_text()
    if "BEGIN SOLUTION" not in text:
        return json.loads(released)
    try:
        source = render_source_notebooks(solutions=folder, assignments=[assignment])
        return fill_notebook(released, source[f"{assignment.name}/{assignment.notebook_filename}"])
    except Exception:  # noqa: BLE001 - a syntax error: the student's cell holds it as written
        reference = render_source_notebooks(solutions=SOLUTIONS, assignments=[assignment])
        notebook = fill_notebook(released, reference[
            f"{assignment.name}/{assignment.notebook_filename}"])
        cells = [c for c in notebook["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")]
        cells[-1]["source"] += "\n" + text.rpartition("\n\n")[2]
        return notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--nbgrader", type=int, default=20, metavar="N",
                        help="submissions nbgrader autogrades (0: skip)")
    parser.add_argument("--no-readme", action="store_true", help="only print the table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="torchgrade-bench-") as scratch:
        work = Path(scratch)
        folders = make_class(work / "class", args.submissions)
        # The floor drifts (other tenants, frequency): each timing is set against the
        # floors measured just before and just after it.
        floors = [median_wall(FLOOR)]
        batch, peak = grade_class(work / "class", work / "out", args.jobs)
        graded = len(list((work / "out" / "results").glob("*.json")))
        assert graded == args.submissions, f"{graded} results for {args.submissions}"
        floors.append(median_wall(FLOOR))
        cold = median_wall([sys.executable, "-m", "autograder.cli", "grade", str(SOLUTIONS),
                            "--json", str(work / "one.json")])
        floors.append(median_wall(FLOOR))
        nb = (nbgrader_seconds(folders[:args.nbgrader], work / "nbgrader")
              if args.nbgrader else 0.0)
    table = render(floors, args, batch, peak, cold, nb)
    print(table)
    if not args.no_readme:
        readme = ROOT / "benchmarks" / "README.md"
        text = readme.read_text()
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        readme.write_text(f"{head}{START}\n{table}\n{END}{tail}" if rest else
                          f"{text}\n{START}\n{table}\n{END}\n")


def render(floors: list[float], args: argparse.Namespace, batch: float,
           peak: int, cold: float, nb: float) -> str:
    """The table; the batch against the floors around it, the cold single likewise."""
    per = batch / args.submissions
    around_batch, around_cold = (floors[0] + floors[1]) / 2, (floors[1] + floors[2]) / 2
    rows = [
        ("floor: `python -c \"import torch\"` (median of 3, before the batch / after it / "
         "after the cold single)", " / ".join(f"{f:.2f}" for f in floors) + " s", "1.00×"),
        (f"`torchgrade grade` of {args.submissions} submissions, `--jobs {args.jobs}`",
         f"{batch:.1f} s", f"{batch / around_batch:.2f}×"),
        ("… per submission", f"{per * 1000:.0f} ms", f"**{per / around_batch:.3f}×**"),
        ("… submissions per second", f"{args.submissions / batch:.2f}", ""),
        ("… peak memory of the process tree", f"{peak / 2**20:.0f} MiB", ""),
        ("cold single `torchgrade grade solutions` (median of 3)", f"{cold:.2f} s",
         f"**{cold / around_cold:.2f}×**"),
    ]
    if nb:
        nb_per = nb / args.nbgrader
        rows += [(f"`nbgrader autograde` of the first {args.nbgrader} as notebooks",
                  f"{nb:.1f} s", ""),
                 ("… per submission", f"{nb_per:.2f} s", f"{nb_per / floors[2]:.2f}×"),
                 ("nbgrader ÷ torchgrade, per submission", f"**{nb_per / per:.0f}×**", "")]
    lines = [f"Run on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}:", "",
             "| run | measured | × the floor |", "|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
