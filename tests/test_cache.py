"""The kernels' disk cache is stamped with every module of the customer floor, not only the kernel's own
file: the customer pass inlines helpers from mechanisms.py, tallies.py, rng.py and registry.py, and numba
alone would keep running a stale pass after an edit there."""

from __future__ import annotations

import shutil

import numba

from sim import codegen
from sim.customers import cache, kernel, network, wom


def test_every_cached_kernel_of_the_floor_uses_the_floor_stamp() -> None:
    for dispatcher in (kernel.customer_pass, wom.wom_pass, wom._wom_batch, network._csr):
        locator = dispatcher._cache._impl._locator
        assert isinstance(locator, cache.FloorInTreeLocator | cache.FloorUserProvidedLocator), dispatcher
        assert locator.get_source_stamp()[1] == cache.floor_digest()


def test_an_edit_to_any_module_of_the_floor_changes_the_stamp(tmp_path, monkeypatch) -> None:
    floor = tmp_path / "customers"
    shutil.copytree(codegen.FLOOR, floor, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(codegen, "FLOOR", floor)
    cache.floor_digest.cache_clear()
    try:
        before = cache.floor_digest()
        helper = floor / "mechanisms.py"
        helper.write_text(helper.read_text() + "\n# an edit to an inlined helper\n")
        cache.floor_digest.cache_clear()
        assert cache.floor_digest() != before
    finally:
        cache.floor_digest.cache_clear()


def test_functions_outside_the_floor_keep_numbas_own_locators(tmp_path) -> None:
    src = tmp_path / "elsewhere.py"
    src.write_text("def f():\n    return 1\n")
    assert cache.FloorInTreeLocator.from_function(lambda: 1, str(src)) is None

    @numba.njit(cache=True)
    def g() -> int:  # defined in tests/: numba's in-tree locator, unstamped
        return 2

    assert not isinstance(g._cache._impl._locator, cache.FloorInTreeLocator | cache.FloorUserProvidedLocator)
