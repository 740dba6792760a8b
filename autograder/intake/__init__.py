"""Intake: from what a user passes to the files to grade.

Paths, zips and notebooks become :class:`~autograder.intake.submission.Submission`
objects (:mod:`.submission`); notebooks are turned into inert Python
(:mod:`.notebook`); when a folder holds both copies of a file, :mod:`.copies`
says which one to grade. Nothing here runs student code.
"""
