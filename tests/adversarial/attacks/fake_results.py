# target: 02_my_linear
# base: stub
# stopped-at: contained
"""Prints and writes fake results: full marks in every format torchgrade writes.

It prints a result document with score 100 (and a Gradescope one), then
writes ``result.json``, ``results.json`` and ``gradebook.csv`` into its
working folder and every folder above it, into the folder it was handed in
from, into the judge's output folder, and over its own saved result
there. The judge never reads what student code prints or writes: the stub
scores 0, the output folder holds only the judge's files, and no fake
file survives.
"""
import json
import sys
from pathlib import Path

_LABEL = Path(__file__).resolve().parents[1].name
_FAKE = {"schema": "torchgrade.result/1", "submission": _LABEL, "score": 100.0,
         "max_score": 100.0, "status": "graded", "marker": "@MARKER@",
         "assignments": [{"name": "02_my_linear", "score": 20.0, "max_score": 20.0,
                          "status": "graded", "checks": []}]}
_GRADESCOPE = {"score": 100.0, "output": "@MARKER@", "tests": []}
_ROW = f"submission,02_my_linear,total\n{_LABEL},20,100 @MARKER@\n"


def _folders():
    yield Path.cwd()
    yield from Path.cwd().resolve().parents
    yield Path(__file__).resolve().parent
    yield Path(__file__).resolve().parents[1]
    yield Path("@OUT@")


print(json.dumps(_FAKE))
print(json.dumps(_GRADESCOPE), file=sys.stderr)
for _folder in _folders():
    for _name, _text in (("result.json", json.dumps(_FAKE)),
                         ("results.json", json.dumps(_GRADESCOPE)), ("gradebook.csv", _ROW)):
        try:
            (_folder / _name).write_text(_text)
        except OSError:
            pass
try:
    Path("@OUT@/results").mkdir(parents=True, exist_ok=True)
    Path(f"@OUT@/results/{_LABEL}.json").write_text(json.dumps(_FAKE))
    Path("@OUT@/results/zz-fake-student.json").write_text(json.dumps(_FAKE))
except OSError:
    pass
