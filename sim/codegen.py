"""The vector width the kernels are compiled for.

LLVM tunes Intel's AVX-512 processors (Skylake-X to Sapphire Rapids, and Rocket Lake) to *prefer*
256-bit vectors (its ``prefer-256-bit`` tuning, once a guard against the clock drop of 512-bit code),
so numba compiles the customer pass for 4 doubles per instruction where the CPU has 8. Measured on the
2-core Intel Xeon (Rocket Lake) development machine, 1 M customers, one thread: the customer pass
26.7 → 20.8 ns per customer, its vector loop 17.0 → 12.8 ns. AMD's Zen 4 has no such tuning, so there
this changes nothing.

``configure()`` therefore sets ``NUMBA_CPU_FEATURES`` to the host's features minus ``prefer-256-bit``
before numba builds its code generator (at the first ``@njit`` in the process), unless the user chose a
target (``NUMBA_CPU_NAME`` or ``NUMBA_CPU_FEATURES`` already set): set either to opt out, e.g.
``NUMBA_CPU_NAME=x86-64-v3`` for the same bits on a cluster of mixed CPUs (docs/architecture.md). The
variable is inherited by worker processes, so a sweep's workers compile the same code as the parent.
"""

from __future__ import annotations

import os
import sys

__all__ = ["configure"]


def configure() -> None:
    """Let LLVM use the full width of AVX-512 for the kernels (no-op elsewhere or if the user chose)."""
    if os.environ.get("NUMBA_CPU_NAME") or os.environ.get("NUMBA_CPU_FEATURES"):
        return
    try:
        import llvmlite.binding as ll

        features = ll.get_host_cpu_features()
    except (ImportError, RuntimeError):  # no llvmlite, or LLVM cannot read this host: leave numba's default
        return
    if not features.get("avx512f"):
        return
    os.environ["NUMBA_CPU_FEATURES"] = features.flatten() + ",-prefer-256-bit"
    if "numba" in sys.modules:  # numba read its configuration at import: make it read the variable again
        from numba.core import config

        config.reload_config()
