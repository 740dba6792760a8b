# target: 03_custom_dataset
# base: stub
# expect: error
"""Skips the whole module at import, as a test file would: ``pytest.skip(allow_module_level=True)``.

The import fails with pytest's ``Skipped``: the assignment cannot be loaded
(status ``error``), its checks earn nothing, the other four are untouched.
"""
import pytest

pytest.skip("this module has no tests", allow_module_level=True)
