# target: 02_my_linear
# base: stub
# layout: symlink
"""Hands in ``02_my_linear/my_linear.py`` as a symbolic link to the kit's reference solution.

A student who knows where the grader keeps the solutions (a zip or a git
repository can carry a link) need not write any code. Intake refuses a
link that leaves the submission, so the file is as good as missing: 0
points, with a note saying why.
"""
