# target: 02_my_linear
# base: solution
# layout: beside
# beside: torch.py
# beside: sitecustomize.py
# beside: usercustomize.py
# beside: conftest.py
# beside: __init__.py
"""Hands in, beside a correct file, modules Python or pytest would run on their own.

``torch.py`` (shadowing torch), ``sitecustomize.py``, ``usercustomize.py``,
``conftest.py`` (pytest collects it) and ``__init__.py``, next to
``my_linear.py`` and at the top of the submission. Only the expected file
names are ever loaded: none of these runs, in the judge or in a sandbox,
so no canary appears and the file is graded as the correct code it is.
"""
from pathlib import Path

for _place in ("/tmp", "@OUT@", "@BATCH_TMP@"):
    try:
        Path(_place, f"torchgrade-canary-@MARKER@-{Path(__file__).name}").write_text("ran")
    except OSError:
        pass
raise SystemExit("@MARKER@:escaped: a file handed in beside the submission was run")
