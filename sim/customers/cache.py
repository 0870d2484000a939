"""numba's disk cache, keyed on the whole customer floor rather than one file.

numba stamps a cached kernel with the source of the file that defines it, but the customer pass inlines
helpers from its sibling modules (``mechanisms.py``, ``tallies.py``, ``rng.py``, ``registry.py``…): an
edit there would leave the old compiled pass in ``__pycache__`` and run it silently. The locators here
add a digest of every module of ``sim/customers/`` to the stamp of the functions defined in it, so any
edit in the floor recompiles its kernels. Functions elsewhere keep numba's own locators. The digest is
computed in ``sim.codegen`` (the lowest floor), which also keys its choice of vector width on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from numba.core import caching

from sim import codegen
from sim.codegen import floor_digest

__all__ = ["install", "floor_digest"]


def _in_floor(py_file: str) -> bool:
    try:
        return Path(py_file).resolve().parent == codegen.FLOOR
    except OSError:
        return False


class _FloorStamp:
    def get_source_stamp(self) -> Any:
        return (super().get_source_stamp(), floor_digest())  # type: ignore[misc]

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if not _in_floor(py_file):
            return None
        return super().from_function(py_func, py_file)  # type: ignore[misc]


class FloorUserProvidedLocator(_FloorStamp, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR`` set: numba's folder, the floor's stamp."""


class FloorInTreeLocator(_FloorStamp, caching.InTreeCacheLocator):
    """The default: ``__pycache__`` beside the source, the floor's stamp."""


def install() -> None:
    """Put the floor's locators first (before the kernels are decorated; idempotent)."""
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # public name since numba 0.59
    classes = impl._locator_classes
    for locator in (FloorInTreeLocator, FloorUserProvidedLocator):  # user-provided ends up first
        if locator not in classes:
            classes.insert(0, locator)
