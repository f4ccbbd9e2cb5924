"""A cache prefetch for numba kernels.

Training is limited by memory latency: each update reads rows scattered over
matrices much larger than the cache. Telling the CPU early which rows come
next lets their loads overlap with the arithmetic on the current ones (LLVM's
``llvm.prefetch``; a hint, with no effect on results).
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

CACHE_LINE = 64


@intrinsic
def prefetch_row(typingctx, matrix, row):
    """Start loading every cache line of ``matrix[row, :]`` (a C-contiguous 2D array)."""
    signature = types.void(matrix, row)

    def codegen(context, builder, sig, args):
        array_type, row_type = sig.args
        array = context.make_array(array_type)(context, builder, args[0])
        index = context.cast(builder, args[1], row_type, types.intp)
        zero = context.get_constant(types.intp, 0)
        start = cgutils.get_item_pointer(context, builder, array_type, array, [index, zero],
                                         wraparound=False)
        byte_pointer = ir.IntType(8).as_pointer()
        start = builder.bitcast(start, byte_pointer)
        i32 = ir.IntType(32)
        hint = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0")
        row_bytes = builder.mul(builder.extract_value(array.shape, 1),
                                context.get_constant(types.intp, array_type.dtype.bitwidth // 8))
        step = context.get_constant(types.intp, CACHE_LINE)
        with cgutils.for_range_slice(builder, zero, row_bytes, step) as (offset, _):
            # read (0), keep in all cache levels (3), data cache (1)
            builder.call(hint, [builder.gep(start, [offset]), ir.Constant(i32, 0),
                                ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return signature, codegen
