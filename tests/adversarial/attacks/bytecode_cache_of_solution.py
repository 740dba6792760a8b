# target: 02_my_linear
# base: stub
# layout: pycache
"""Hands in the stub with a bytecode cache of the reference solution in ``__pycache__``.

The caches are unchecked-hash ``.pyc`` files (PEP 552), which Python's
importer runs without comparing them to the source. torchgrade compiles
exactly the submitted source and never reads a cache: the stub earns
nothing.
"""
