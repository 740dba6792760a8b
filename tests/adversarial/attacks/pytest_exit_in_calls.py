# target: 04_collate
# base: stub
# expect: error
"""Calls ``pytest.exit`` with a success code from the student's function.

It raises in the student's own process; the judge's pytest session never
sees it, the check ends with ``error``, and grading goes on.
"""
import pytest


def pad_collate(batch, pad_value=0):
    pytest.exit("all tests passed", returncode=0)


def make_loader(dataset, batch_size, shuffle=False, pad_value=0, generator=None):
    pytest.exit("all tests passed", returncode=0)
