"""Counter-based random numbers: a draw is a pure function of (seed, step, customer, draw number).

Why: numba's ``np.random`` inside ``prange`` keeps per-thread state and is not reproducible across
thread counts. Hashing the counter with splitmix64 (Steele, Lea & Flood 2014) gives the same number
for the same customer and step whatever thread or process computes it, and lets the plain-numpy
reference (``sim.customers.reference``) reproduce the kernel's draws exactly.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "step_key",
    "mix",
    "draw",
    "u_hi",
    "u_lo",
    "normal4",
    "mix_np",
    "draw_np",
    "u_hi_np",
    "u_lo_np",
    "normal4_np",
    "customer_key_np",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_CUST = np.uint64(0xD1B54A32D192ED03)
_S30, _S27, _S31, _S32, _S16 = (np.uint64(k) for k in (30, 27, 31, 32, 16))
_MASK32 = np.uint64(0xFFFFFFFF)
_MASK16 = np.uint64(0xFFFF)
_INV32 = 1.0 / 4294967296.0
_INV16 = 1.0 / 65536.0
_SQRT3 = 1.7320508075688772


def _mix_py(x: int) -> int:
    m = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


def step_key(seed: int, step: int, stream: int = 0) -> np.uint64:
    """The key of one step's draws; ``stream`` separates independent uses within a step."""
    base = _mix_py((seed & ((1 << 64) - 1)) ^ 0x5851F42D4C957F2D)
    return np.uint64(_mix_py(base ^ _mix_py((step << 8) ^ stream)))


# ------------------------------------------------------------------ numba versions (inlined in kernels)
@numba.njit(inline="always", cache=True)
def mix(x):
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(inline="always", cache=True)
def customer_key(key, i):
    return mix(key ^ (np.uint64(i) * _CUST))


@numba.njit(inline="always", cache=True)
def draw(ckey, k):
    return mix(ckey + np.uint64(k) * _GOLDEN)


@numba.njit(inline="always", cache=True)
def u_hi(x):
    return (np.float64(np.int64(x >> _S32)) + 0.5) * _INV32  # via int64: one cvtsi2sd


@numba.njit(inline="always", cache=True)
def u_lo(x):
    return (np.float64(np.int64(x & _MASK32)) + 0.5) * _INV32


@numba.njit(inline="always", cache=True)
def normal4(x):
    """Approximate standard normal: Irwin-Hall sum of four 16-bit uniforms, scaled (|z| <= 3.46).
    Cheaper than Box-Muller (no log/cos) and exactly reproducible in numpy."""
    s = (
        np.float64(np.int64(x & _MASK16))
        + np.float64(np.int64((x >> _S16) & _MASK16))
        + np.float64(np.int64((x >> _S32) & _MASK16))
        + np.float64(np.int64((x >> np.uint64(48)) & _MASK16))
        + 2.0
    ) * _INV16
    return (s - 2.0) * _SQRT3


# ------------------------------------------------------------------ numpy versions (for the reference)
def mix_np(x: np.ndarray) -> np.ndarray:
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def customer_key_np(key: np.uint64, idx: np.ndarray) -> np.ndarray:
    return mix_np(key ^ (idx.astype(np.uint64) * _CUST))


def draw_np(ckey: np.ndarray, k: int) -> np.ndarray:
    return mix_np(ckey + np.uint64((k * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF))  # wraps like the kernel


def u_hi_np(x: np.ndarray) -> np.ndarray:
    return ((x >> _S32).astype(np.float64) + 0.5) * _INV32


def u_lo_np(x: np.ndarray) -> np.ndarray:
    return ((x & _MASK32).astype(np.float64) + 0.5) * _INV32


def normal4_np(x: np.ndarray) -> np.ndarray:
    s = (
        (x & _MASK16).astype(np.float64)
        + ((x >> _S16) & _MASK16).astype(np.float64)
        + ((x >> _S32) & _MASK16).astype(np.float64)
        + ((x >> np.uint64(48)) & _MASK16).astype(np.float64)
        + 2.0
    ) * _INV16
    return (s - 2.0) * _SQRT3
