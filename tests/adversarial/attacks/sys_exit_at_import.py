# target: 03_custom_dataset
# base: solution
# expect: error
"""Calls ``sys.exit(0)`` at the end of an otherwise correct file.

Exiting "successfully" while being imported must not look like success:
the assignment cannot be loaded (status ``error``, with a message about
exit()), and only this assignment loses its points.
"""
import sys

sys.exit(0)
