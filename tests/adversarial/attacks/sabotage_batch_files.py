# target: 03_custom_dataset
# base: solution
# stopped-at: contained
"""Corrupts everything of the grading run it can reach in its temporary folder.

The grading run keeps the reference's recorded answers, the other
sandboxes' folders and the judges' scratch under its TMPDIR. This file
overwrites every JSON and safetensors file there with garbage and truncates
the rest, at import. (It only ever touches the test run's own TMPDIR, which
the tests mark with a sentinel file.) Sandboxes see none of it: the other
submissions, graded after this one, get exactly the results they get when
graded alone.
"""
import os
from pathlib import Path

_ROOT = Path("@BATCH_TMP@")


def _sabotage():
    if not any(_ROOT.glob(".torchgrade-adversarial-*")):
        return  # not the test run's folder: leave it alone
    own = Path.cwd().resolve()
    for folder, _, names in os.walk(_ROOT):
        if Path(folder).resolve().is_relative_to(own):
            continue
        for name in names:
            path = Path(folder) / name
            if name.startswith(".torchgrade-adversarial-"):
                continue
            try:
                if path.suffix in (".json", ".safetensors"):
                    path.write_bytes(b"@MARKER@ sabotaged")
                else:
                    os.truncate(path, 0)
            except OSError:
                pass


_sabotage()
