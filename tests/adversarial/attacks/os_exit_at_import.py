# target: 04_collate
# base: solution
# expect: error
"""Ends the process with ``os._exit(0)`` while being imported, with no exception to catch.

The sandbox dies mid-import; the judge reports the assignment as not
loadable (status ``error``) and grades the rest.
"""
import os

os._exit(0)
