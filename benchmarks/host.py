"""The host a benchmark figure comes from: CPU model, the kernels' vector width (and why), the measured
copy bandwidth and the floor it implies. Printed beside every figure of ``python -m benchmarks``,
``benchmarks.cases`` and ``benchmarks/compare_kernels.py``, since figures differ between hosts."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

# bytes the customer pass reads and writes per customer-step (sim/customers/registry.py STATE): read every
# column once (61 B), write back the state it changes (45 B); the word-of-mouth pass scans `voice` (1 B)
BYTES_PER_CUSTOMER_STEP = 61 + 45 + 1


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown" elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def bandwidth() -> dict:
    """Memory bandwidth: copying a 512 MiB array (read + write), best of 5."""
    a = np.ones(2**26, dtype=np.float64)
    b = np.empty_like(a)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return {"bytes_moved": 2 * a.nbytes, "seconds": best, "gb_per_second": round(2 * a.nbytes / best / 1e9, 2)}


def describe(measure_bandwidth: bool = True) -> dict:
    """CPU model, LLVM's name for it, the vector width chosen and why; with ``measure_bandwidth`` the copy
    bandwidth (GB/s) and the floor it puts on the kernels (M customer-steps/s)."""
    import llvmlite.binding as ll

    import sim.customers  # noqa: F401  (chooses the vector width, as every use of the kernels does)
    from sim import codegen

    out = {"cpu": cpu_model(), "llvm_cpu": ll.get_host_cpu_name(), "vector_width": codegen.choice().line()}
    if measure_bandwidth:
        gbs = bandwidth()["gb_per_second"]
        out["gb_per_second"] = gbs
        out["floor_m_per_second"] = round(gbs * 1e3 / BYTES_PER_CUSTOMER_STEP, 1)
    return out


def line(host: dict) -> str:
    """One line: ``host: <CPU> (<llvm name>); vector width ...; bandwidth ... GB/s -> floor ... M/s``."""
    text = f"host: {host['cpu']} (LLVM: {host['llvm_cpu']}); {host['vector_width']}"
    if "gb_per_second" in host:
        text += (
            f"; copy bandwidth {host['gb_per_second']:.1f} GB/s -> floor {host['floor_m_per_second']:.0f} M "
            f"customer-steps/s ({BYTES_PER_CUSTOMER_STEP} B each)"
        )
    return text
