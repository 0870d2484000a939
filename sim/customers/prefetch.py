"""A software prefetch for numba kernels: ``prefetch(arr, i)`` asks the CPU to start bringing the cache
line of ``arr[i]`` in, and returns at once.

Why: the word-of-mouth pass follows scattered links (a talker's neighbour list, then each receiver's
buffers) in memory the customer pass has just flushed from the caches. Touching those lines with real
loads ahead of use helped, but a load blocks its loop until the line arrives; a prefetch does not, so
many more lines are in flight at once. numba has no prefetch, so this emits LLVM's ``llvm.prefetch``
(read, keep in all cache levels) through numba's documented ``@intrinsic`` extension point. No bounds
check: ``i`` must be a valid index (a prefetch of a bad address does not fault, but is pointless).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]


@intrinsic
def prefetch(typingctx, arr, idx):
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(idx, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        # llvmlite mangles the name for the pointer type: llvm.prefetch.p0 (opaque) or .p0i8 (typed pointers)
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]))
        # (address, 0 = read, 3 = keep in all cache levels, 1 = data cache)
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, idx), codegen
