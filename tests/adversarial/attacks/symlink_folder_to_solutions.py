# target: 02_my_linear
# base: stub
# layout: symlink-folder
"""Hands in the ``02_my_linear`` folder as a symbolic link to the kit's ``solutions/02_my_linear``.

Intake never follows a link to a folder outside the submission: the
assignment is missing (0 points, with a note), the other four are graded.
"""
