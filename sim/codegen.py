"""The vector width the kernels are compiled for, chosen by measurement on each CPU model.

LLVM tunes most of Intel's AVX-512 processors (Skylake-X to Sapphire Rapids, Rocket Lake) to *prefer*
256-bit vectors (its ``prefer-256-bit`` tuning), so numba compiles the customer pass for 4 doubles per
instruction where the CPU has 8. Which is faster depends on the host: 512-bit was 1.3x faster on one
2-core Intel Xeon (Rocket Lake), while on another (AVX-512 with bf16) the forced 512-bit build with the
CPU's own tuning was 14-16% slower than ``NUMBA_CPU_NAME=host`` (which LLVM does not recognise: its
generic tuning, with the host's features); see docs/performance.md. So the setting is measured, not
assumed from the vendor:

- a user's ``NUMBA_CPU_NAME`` or ``NUMBA_CPU_FEATURES`` always wins (nothing here runs);
- ``SIM_VECTOR_WIDTH=256`` or ``512`` (or ``512-generic``) forces a setting; ``auto`` (the default) chooses:
- without AVX-512 there is nothing to choose: LLVM's default;
- with AVX-512 the choice is looked up in ``sim-vector-width.json`` beside numba's cache of the kernels
  (``NUMBA_CACHE_DIR``, else ``sim/customers/__pycache__``), keyed by the CPU's name and features, the
  numba and llvmlite versions and the digest of the customer floor's sources (an edit to the kernels
  measures again). If it is not there, three child processes compile the customer pass, one per setting
  (256-bit; 512-bit; 512-bit with LLVM's generic tuning instead of the CPU's), in parallel, and are timed
  in turn on a small in-cache population (``sim/customers/width_probe.py``; 7 rounds in alternating
  order, medians): the fastest setting is chosen and stored. This adds the compile of two customer
  passes and about a second to the first compile on a CPU model (the winner's compiled pass stays in
  numba's cache and is reused).

The choice is applied by setting ``NUMBA_CPU_FEATURES`` (the host's features with ``+prefer-256-bit`` or
``-prefer-256-bit``; for the generic tuning also ``NUMBA_CPU_NAME=generic``) before numba builds its
code generator, and recorded in ``SIM_VECTOR_WIDTH_CHOICE``. Both are inherited by worker processes
(process pools, Dask workers started from the parent), which therefore never measure and compile the
same code: the same seed gives the same bits in every process. ``python -m sim.codegen`` prints the
choice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Choice", "configure", "choice", "calibration_key", "floor_digest", "FLOOR"]

ENV_WIDTH = "SIM_VECTOR_WIDTH"  # 256 | 512 | auto (default)
ENV_CHOICE = "SIM_VECTOR_WIDTH_CHOICE"  # what configure() chose, for worker processes and for display
FLOOR = Path(__file__).resolve().parent / "customers"  # the kernels' floor (sim/customers/)
CACHE_FILE = "sim-vector-width.json"
PROBE = "sim.customers.width_probe"  # run as a child process (a module name, not an import)
PAIRS = 7  # alternating timed pairs
PASSES = 40  # customer passes per timing (~10 ms at 8 k customers)
FEATURE = {"256": "+prefer-256-bit", "512": "-prefer-256-bit", "512-generic": ""}  # appended to the host's
# "512-generic": LLVM's generic tuning (scheduling model) with the host's features; it has no 256-bit preference
GENERIC = "512-generic"


@dataclass(frozen=True)
class Choice:
    """The vector width the kernels compile for (``"256"``, ``"512"``, ``"default"`` = LLVM's, ``"user"``)
    and why."""

    width: str
    reason: str

    def line(self) -> str:
        """One line for headers: ``vector width 512-bit (measured ...)``."""
        w = {"256": "256-bit", "512": "512-bit", GENERIC: "512-bit, LLVM's generic tuning"}.get(self.width, self.width)
        return f"vector width: {w} ({self.reason})"


_CHOICE: Choice | None = None


@cache
def floor_digest() -> str:
    """sha256 over the sources of every module of the customer floor but the vector-width probe, which no
    kernel uses (read once per process)."""
    h = hashlib.sha256()
    for path in sorted(FLOOR.glob("*.py")):
        if path.name == "width_probe.py":
            continue
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def calibration_key(cpu_name: str, features: str) -> str:
    """The key of a measured choice: CPU name and features, numba and llvmlite versions, the floor's digest."""
    import llvmlite
    import numba

    parts = (cpu_name, features, numba.__version__, llvmlite.__version__, floor_digest())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def choice() -> Choice:
    """The choice made by ``configure()`` in this process (configuring first if it has not run)."""
    return _CHOICE if _CHOICE is not None else configure()


def configure(measure: bool = True) -> Choice:
    """Choose the kernels' vector width and set it for numba (before it builds its code generator).
    ``measure=False`` never starts the calibration (LLVM's default when no choice is stored)."""
    global _CHOICE
    _CHOICE = _decide(measure)
    if _CHOICE.width in FEATURE or _CHOICE.width == "default":
        os.environ[ENV_CHOICE] = f"{_CHOICE.width}: {_CHOICE.reason}"
    if "numba" in sys.modules:  # numba read its configuration at import: make it read the variables again
        from numba.core import config

        config.reload_config()
    return _CHOICE


def _decide(measure: bool) -> Choice:
    inherited = os.environ.get(ENV_CHOICE)
    if inherited and ": " in inherited:  # a worker (or a calibration child): the parent chose
        width, reason = inherited.split(": ", 1)
        if width == "default" or os.environ.get("NUMBA_CPU_FEATURES"):
            return Choice(width, reason if reason.startswith("inherited") else f"inherited: {reason}")
    for var in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        if os.environ.get(var):
            return Choice("user", f"{var}={os.environ[var][:40]} set by the user")
    want = os.environ.get(ENV_WIDTH, "auto").strip().lower() or "auto"
    if want not in ("auto", *FEATURE):
        raise ValueError(f"{ENV_WIDTH}={want!r}: expected 256, 512, 512-generic or auto")
    try:
        import llvmlite.binding as ll

        cpu, features = ll.get_host_cpu_name(), ll.get_host_cpu_features()
    except (ImportError, RuntimeError):  # no llvmlite, or LLVM cannot read this host
        return Choice("default", "LLVM cannot read this host's features")
    if not features.get("avx512f"):
        return Choice("default", f"{cpu} has no AVX-512: nothing to choose")
    flat = features.flatten()
    if want in FEATURE:
        return _apply(want, flat, f"{ENV_WIDTH}={want}")
    key = calibration_key(cpu, flat)
    folder = _cache_folder()
    stored = _read(folder).get(key)
    if not (isinstance(stored, dict) and stored.get("width") in FEATURE):  # none, or not one of ours
        stored = None
    if stored is None and measure:
        stored = _calibrate_locked(folder, key, cpu, flat)
    if stored is None:
        return Choice("default", "not measured on this CPU yet: LLVM's default")
    ns = stored["ns_per_customer"]
    told = ", ".join(f"{w} {t:.1f}" for w, t in ns.items())
    return _apply(stored["width"], flat, f"measured on {cpu}, ns per customer: {told}")


def _apply(width: str, flat: str, reason: str) -> Choice:
    os.environ.update(_setting(width, flat))
    return Choice(width, reason)


def _setting(width: str, flat: str) -> dict[str, str]:
    """The numba variables of a setting: the host's features with the width's tuning flag (and for
    ``512-generic`` LLVM's generic CPU instead of the host's name)."""
    if width == GENERIC:
        return {"NUMBA_CPU_NAME": "generic", "NUMBA_CPU_FEATURES": flat}
    return {"NUMBA_CPU_FEATURES": f"{flat},{FEATURE[width]}"}


def _cache_folder() -> Path:
    """Where numba caches the floor's kernels: ``NUMBA_CACHE_DIR``, else ``sim/customers/__pycache__``."""
    user = os.environ.get("NUMBA_CACHE_DIR")
    return Path(user) if user else FLOOR / "__pycache__"


def _read(folder: Path) -> dict:
    try:
        data = json.loads((folder / CACHE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


MEASURING = (
    "sim: first run on this CPU: compiling the customer kernels and timing their vector widths "
    "(about a minute, once; numba caches the result)"
)


def _calibrate_locked(folder: Path, key: str, cpu: str, flat: str) -> dict | None:
    """Measure once per key: concurrent first imports (test workers, a pool) wait for the first one."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / (CACHE_FILE + ".lock"), "w")  # noqa: SIM115 (held until closed below)
    except OSError:
        return None  # an unwritable cache: LLVM's default rather than measuring in every process
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = _read(folder).get(key)
        if stored is not None:
            return stored
        print(MEASURING, file=sys.stderr, flush=True)  # long work shows itself: a minute of silence otherwise
        try:
            ns = measure_widths(flat)
        except (OSError, RuntimeError, ValueError) as exc:
            print(f"sim.codegen: vector-width calibration failed ({exc}); using LLVM's default", file=sys.stderr)
            return None
        stored = {"width": min(ns, key=ns.__getitem__), "ns_per_customer": ns, "cpu": cpu}
        data = _read(folder)
        data[key] = stored
        tmp = folder / (CACHE_FILE + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        tmp.replace(folder / CACHE_FILE)
        return stored


def measure_widths(flat: str, pairs: int = PAIRS, passes: int = PASSES) -> dict[str, float]:
    """ns per customer of the customer pass at each setting of ``FEATURE``: one child per setting, compiled in
    parallel, then timed in turn (the order reversed every round), ``pairs`` rounds; medians."""
    root = str(Path(__file__).resolve().parents[1])
    children = {}
    for width in FEATURE:
        env = {
            **os.environ,
            **_setting(width, flat),
            ENV_CHOICE: f"{width}: calibration",
            "NUMBA_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        children[width] = subprocess.Popen(
            [sys.executable, "-m", PROBE], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
    try:
        for width, child in children.items():
            if child.stdout is None or child.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the {width}-bit probe did not start")
        times: dict[str, list[float]] = {w: [] for w in children}
        for r in range(pairs):
            for width in list(children) if r % 2 == 0 else list(children)[::-1]:
                child = children[width]
                assert child.stdin is not None and child.stdout is not None
                child.stdin.write(f"{passes}\n")
                child.stdin.flush()
                times[width].append(float(child.stdout.readline()))
    finally:
        for child in children.values():
            if child.stdin is not None:
                child.stdin.close()
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a probe still compiling after the other failed
                child.kill()
                child.wait()
    return {w: round(statistics.median(t), 3) for w, t in times.items()}


if __name__ == "__main__":
    print(configure().line())
