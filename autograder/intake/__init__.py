"""Intake: from what a user passes to the files to grade.

Paths, zips and notebooks become :class:`~autograder.intake.submission.Submission`
objects (:mod:`.submission`), whose files are found at any depth
(:mod:`.search`) and whose zips are extracted safely (:mod:`.archive`);
notebooks are turned into inert Python (:mod:`.notebook`); when a submission
holds both copies of a file, :mod:`.copies` says which one to grade. A class
folder or course export is split into one entry per student
(:mod:`.classroom`, with the platforms' file names in :mod:`.lms`). Every
unusable input is a :class:`~autograder.intake.errors.SubmissionError`.
Nothing here runs student code.
"""
