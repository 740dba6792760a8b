"""torch's compiler stack, imported on its first real use instead of by every optimizer.

Constructing any ``torch.optim`` optimizer runs ``import torch._dynamo``, and
each ``step()`` calls ``torch._dynamo.graph_break()``. For eager code, the only
kind a grading run meets unless a student calls ``torch.compile``, both are
no-ops, but the import costs some 800 modules (sympy among them): 0.6-0.9 s
in every process that trains a model, more than the rest of a cold grading
run. :func:`defer` puts a stand-in module in ``sys.modules`` that answers
those two calls itself and turns into the real ``torch._dynamo``, the same
module object, on first touch of anything else: ``torch.compile``, a config
read, a submodule import. Results are unchanged either way; only processes
torchgrade owns (the command, its judges, zygotes and sandboxes) install it.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

_NAME = "torch._dynamo"
# Looked up on every module by tools that sweep sys.modules (warnings, pytest):
# not a reason to import the compiler.
_LOADS_ON = frozenset({"__path__", "__all__"})


class _Deferred(types.ModuleType):
    """``torch._dynamo`` before its code has run; see :func:`defer`."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name not in _LOADS_ON:
            raise AttributeError(name)
        _load(self, name)
        return types.ModuleType.__getattribute__(self, name)


_lock = threading.RLock()
_loading = threading.local()


def defer() -> bool:
    """Installs the stand-in unless ``torch._dynamo`` is already imported; True if it did.

    Safe before or after ``import torch``: torch imports the compiler lazily.
    """
    if _NAME in sys.modules:
        return False
    torch_spec = importlib.util.find_spec("torch")
    if torch_spec is None or not torch_spec.submodule_search_locations:
        return False
    spec = importlib.machinery.PathFinder.find_spec(_NAME, torch_spec.submodule_search_locations)
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    del module.__path__  # a submodule import reads it: the real package must run first
    vars(module).update(graph_break=_graph_break(module), disable=_disable(module))
    module.__class__ = _Deferred
    sys.modules[_NAME] = module
    if "torch" in sys.modules:
        sys.modules["torch"]._dynamo = module  # type: ignore[attr-defined]
    return True


def loaded() -> bool:
    """Whether the real ``torch._dynamo`` has run in this process."""
    module = sys.modules.get(_NAME)
    return module is not None and not isinstance(module, _Deferred)


def _load(module: types.ModuleType, name: str) -> None:
    """Runs the real package inside ``module``, once, as ``import`` would."""
    with _lock:  # another thread waits, as it would on the import lock
        if not isinstance(module, _Deferred):
            return
        if getattr(_loading, "active", False):  # the package's own code, mid-import
            raise AttributeError(
                f"partially initialized module {_NAME!r} has no attribute {name!r}")
        spec = module.__spec__
        assert spec is not None and spec.loader is not None
        for own in ("graph_break", "disable"):
            delattr(module, own)
        module.__path__ = list(spec.submodule_search_locations or ())
        _loading.active = True
        try:
            spec.loader.exec_module(module)
        except BaseException:  # as a failed import: the next ``import`` starts over
            sys.modules.pop(_NAME, None)
            if getattr(sys.modules.get("torch"), "_dynamo", None) is module:
                del sys.modules["torch"]._dynamo  # type: ignore[attr-defined]
            raise
        finally:
            _loading.active = False
        module.__class__ = types.ModuleType  # type: ignore[assignment] # a plain module now


def _graph_break(module: types.ModuleType) -> Callable[..., None]:
    def graph_break(msg: str = "") -> None:
        """Forces a graph break under ``torch.compile``; nothing in eager code."""
        if not isinstance(module, _Deferred):
            module.graph_break(msg)

    return graph_break


def _disable(module: types.ModuleType) -> Callable[..., Any]:
    def disable(fn: Callable[..., Any] | None = None, recursive: bool = True, *,
                reason: str | None = None, wrapping: bool = True) -> Any:
        """``torch._dynamo.disable``: a plain call until the compiler is loaded."""
        if fn is None or not isinstance(module, _Deferred):
            _load(module, "disable")
            return module.disable(fn, recursive, reason=reason, wrapping=wrapping)
        real: Callable[..., Any] | None = None

        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal real
            if isinstance(module, _Deferred):
                return fn(*args, **kwargs)
            if real is None:
                real = module.disable(fn, recursive, reason=reason, wrapping=False)
            return real(*args, **kwargs)

        return functools.wraps(fn)(call) if wrapping else call

    return disable
