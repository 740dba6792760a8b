# target: 02_my_linear
# base: solution
# layout: zip
# member: ../../torchgrade-canary-@MARKER@-dotdot.py
# member: /tmp/torchgrade-canary-@MARKER@-absolute.py
# member: ..\..\torchgrade-canary-@MARKER@-backslash.py
# member: 50-zip_slip/02_my_linear/../../../../../../../../tmp/torchgrade-canary-@MARKER@-deep.py
"""A submission zip whose extra members' names climb out of the extraction folder.

Besides a complete, correct submission the zip holds members named
``../../…``, ``/tmp/…``, ``..\\..\\…`` and ``a/../../…/tmp/…`` (each holding
this text). Intake must refuse the zip (a row with status ``error`` and a
message saying why) or extract it without them; either way no file
appears outside the extraction folder.
"""
PLANTED = "@MARKER@"
