"""The kernels' vector width (sim/codegen.py): chosen by measurement once per CPU model and stored beside
numba's cache, a user's choice always wins, and worker processes inherit the parent's choice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

import sim.customers  # noqa: F401  (configures this process, as any use of the kernels does)
from sim import codegen

ROOT = Path(__file__).resolve().parents[1]
FLAT = "+avx2,+avx512f,+fma"


def _host_has_avx512() -> bool:
    import llvmlite.binding as ll

    return bool(ll.get_host_cpu_features().get("avx512f"))


avx512 = pytest.mark.skipif(not _host_has_avx512(), reason="no AVX-512 on this host: nothing to choose")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No inherited or user choice; the calibration stored in an empty folder (restored afterwards)."""
    for var in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", codegen.ENV_CHOICE, codegen.ENV_WIDTH):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_the_key_changes_with_the_cpu_features_name_and_kernels(monkeypatch) -> None:
    key = codegen.calibration_key("sapphirerapids", FLAT)
    assert codegen.calibration_key("sapphirerapids", FLAT + ",+avx512bf16") != key
    assert codegen.calibration_key("rocketlake", FLAT) != key
    assert codegen.calibration_key("sapphirerapids", FLAT) == key
    monkeypatch.setattr(codegen, "floor_digest", lambda: "an edited kernel")
    assert codegen.calibration_key("sapphirerapids", FLAT) != key


@pytest.mark.parametrize("var", ["NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"])
def test_a_users_numba_target_wins(clean_env, monkeypatch, var) -> None:
    monkeypatch.setenv(var, "x86-64-v3" if var == "NUMBA_CPU_NAME" else FLAT)
    monkeypatch.setenv(codegen.ENV_WIDTH, "512")  # even over an explicit width
    ch = codegen._decide(measure=True)
    assert ch.width == "user" and var in ch.reason
    assert os.environ.get("NUMBA_CPU_FEATURES") == (FLAT if var == "NUMBA_CPU_FEATURES" else None)
    assert not (clean_env / codegen.CACHE_FILE).exists()  # nothing measured


@avx512
@pytest.mark.parametrize("width", ["256", "512"])
def test_sim_vector_width_forces_a_width(clean_env, monkeypatch, width) -> None:
    monkeypatch.setenv(codegen.ENV_WIDTH, width)
    ch = codegen._decide(measure=True)
    assert ch.width == width
    assert os.environ["NUMBA_CPU_FEATURES"].endswith("," + codegen.FEATURE[width])
    assert not (clean_env / codegen.CACHE_FILE).exists()


def test_a_bad_width_is_one_line_naming_the_variable(clean_env, monkeypatch) -> None:
    monkeypatch.setenv(codegen.ENV_WIDTH, "1024")
    with pytest.raises(ValueError, match=r"^SIM_VECTOR_WIDTH='1024': expected 256, 512, 512-generic or auto$"):
        codegen._decide(measure=True)


@avx512
def test_a_stored_choice_is_used_without_measuring(clean_env, monkeypatch) -> None:
    import llvmlite.binding as ll

    key = codegen.calibration_key(ll.get_host_cpu_name(), ll.get_host_cpu_features().flatten())
    stored = {key: {"width": "256", "ns_per_customer": {"256": 10.0, "512": 12.0, "512-generic": 11.0}, "cpu": "x"}}
    (clean_env / codegen.CACHE_FILE).write_text(json.dumps(stored))
    monkeypatch.setattr(codegen, "measure_widths", lambda *a, **k: pytest.fail("measured again"))
    ch = codegen._decide(measure=True)
    assert ch.width == "256" and "256 10.0, 512 12.0, 512-generic 11.0" in ch.reason
    assert os.environ["NUMBA_CPU_FEATURES"].endswith(",+prefer-256-bit")


@avx512
def test_without_a_stored_choice_and_no_measuring_llvm_decides(clean_env) -> None:
    ch = codegen._decide(measure=False)
    assert ch.width == "default" and "NUMBA_CPU_FEATURES" not in os.environ


def test_the_calibration_picks_the_fastest_setting_and_stores_it(clean_env, monkeypatch, tmp_path, capsys) -> None:
    """The orchestration with a fake probe that reports the ns per customer it is told for its setting; it
    says so on stderr while it measures, and is silent once the choice is stored."""
    probes = tmp_path / "probes"
    probes.mkdir()
    (probes / "fake_probe.py").write_text(
        "import json, os, sys\n"
        "f = os.environ['NUMBA_CPU_FEATURES']\n"
        "name = '512-generic' if os.environ.get('NUMBA_CPU_NAME') == 'generic' else "
        "'256' if f.endswith('+prefer-256-bit') else '512'\n"
        "print('ready', flush=True)\n"
        "for line in sys.stdin:\n"
        "    print(json.loads(os.environ['FAKE_NS'])[name], flush=True)\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(probes))
    monkeypatch.setattr(codegen, "PROBE", "fake_probe")
    for fast in codegen.FEATURE:
        ns = {w: 5.0 if w == fast else 10.0 for w in codegen.FEATURE}
        monkeypatch.setenv("FAKE_NS", json.dumps(ns))
        stored = codegen._calibrate_locked(clean_env, f"key-{fast}", "cpu", FLAT)
        assert stored is not None and stored["width"] == fast
        assert stored["ns_per_customer"] == ns
        assert json.loads((clean_env / codegen.CACHE_FILE).read_text())[f"key-{fast}"] == stored
        assert codegen.MEASURING in capsys.readouterr().err
    monkeypatch.setattr(codegen, "PROBE", "no_such_probe")  # stored: not measured again
    assert codegen._calibrate_locked(clean_env, "key-256", "cpu", FLAT)["width"] == "256"
    assert capsys.readouterr().err == ""


def _worker_target() -> tuple[str | None, str | None, str | None, str]:
    import numba.core.config as cfg

    return os.environ.get("NUMBA_CPU_FEATURES"), cfg.CPU_FEATURES, cfg.CPU_NAME, codegen.choice().reason


def test_worker_processes_inherit_the_parents_choice() -> None:
    """A pool's workers (spawned, as the experiment runner's) and a child process compile for the parent's
    setting and never measure."""
    parent = os.environ.get("NUMBA_CPU_FEATURES")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        env_features, numba_features, numba_name, reason = pool.submit(_worker_target).result()
    assert env_features == parent and numba_features == parent
    assert numba_name == os.environ.get("NUMBA_CPU_NAME")
    if codegen.choice().width in (*codegen.FEATURE, "default"):
        assert reason.startswith("inherited"), reason
    code = "import sim.customers; from sim import codegen; print(codegen.choice().line())"
    line = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert codegen.choice().width in line.stdout


def test_the_probe_is_not_part_of_the_kernels_stamp(tmp_path, monkeypatch) -> None:
    """Editing the calibration probe neither recompiles the kernels nor measures again; editing a kernel does."""
    import shutil

    floor = tmp_path / "customers"
    shutil.copytree(codegen.FLOOR, floor, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(codegen, "FLOOR", floor)
    codegen.floor_digest.cache_clear()
    try:
        before = codegen.floor_digest()
        (floor / "width_probe.py").write_text("# another probe\n")
        codegen.floor_digest.cache_clear()
        assert codegen.floor_digest() == before
        (floor / "tallies.py").write_text((floor / "tallies.py").read_text() + "\n# an edit\n")
        codegen.floor_digest.cache_clear()
        assert codegen.floor_digest() != before
    finally:
        codegen.floor_digest.cache_clear()


def test_the_probe_calls_the_real_customer_pass() -> None:
    """The probe's synthetic arguments fit the customer pass as it is now (a new state column or scalar
    argument must reach the probe too, or every first import falls back to LLVM's default)."""
    from sim.customers.kernel import customer_pass
    from sim.customers.width_probe import probe_inputs

    args = probe_inputs(n=256)
    customer_pass(*args)
    out = args[-6]
    assert out.shape[-1] > 0 and np.isfinite(out).all()
