"""A spin lock for numba kernels that run without the GIL.

Threads that merge their private hot rows into the shared output matrix
(kernels.py, docs/derivation.md eq. 25) do a read-modify-write of the same
rows; two merges at once would lose one of them. The lock is one int64 in a
NumPy array shared by the threads (0: free, 1: held), taken with an atomic
compare-and-swap (acquire) and given back with an atomic store (release), so
the rows one thread merged are visible to the next thread that takes it.

It is held only for one merge (a copy of about 1 MiB, tens of microseconds)
every ``kernels.MERGE_WORDS`` words, so a waiting thread spins briefly; it
never needs the GIL, unlike a ``threading.Lock`` taken between kernel calls.
"""

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


def new_lock() -> np.ndarray:
    """A free lock: pass the same array to every thread that merges."""
    return np.zeros(1, dtype=np.int64)


def _first_element(context, builder, array_type, array_value):
    array = context.make_array(array_type)(context, builder, array_value)
    zero = context.get_constant(types.intp, 0)
    return cgutils.get_item_pointer(context, builder, array_type, array, [zero],
                                    wraparound=False)


@intrinsic
def _compare_and_swap(typingctx, lock, expected, new):
    """Atomically: old = lock[0]; if old == expected: lock[0] = new. Returns old."""
    signature = types.int64(lock, types.int64, types.int64)

    def codegen(context, builder, sig, args):
        pointer = _first_element(context, builder, sig.args[0], args[0])
        pair = builder.cmpxchg(pointer, args[1], args[2], "acquire", "monotonic")
        return builder.extract_value(pair, 0)

    return signature, codegen


@intrinsic
def _load(typingctx, lock):
    """lock[0], read atomically (relaxed): what a spinning thread polls."""
    signature = types.int64(lock)

    def codegen(context, builder, sig, args):
        pointer = _first_element(context, builder, sig.args[0], args[0])
        return builder.load_atomic(pointer, "monotonic", 8)

    return signature, codegen


@intrinsic
def _store_release(typingctx, lock, value):
    """lock[0] = value, atomically, after every earlier write of this thread."""
    signature = types.void(lock, types.int64)

    def codegen(context, builder, sig, args):
        pointer = _first_element(context, builder, sig.args[0], args[0])
        builder.store_atomic(args[1], pointer, "release", 8)
        return context.get_dummy_value()

    return signature, codegen


@njit(nogil=True, cache=True)
def acquire(lock):
    """Spin until this thread holds ``lock``; returns how many times it found
    the lock held (0 when uncontended)."""
    spins = 0
    while _compare_and_swap(lock, np.int64(0), np.int64(1)) != 0:
        while _load(lock) != 0:  # poll with plain reads, not with writes
            spins += 1
    return spins


@njit(nogil=True, cache=True)
def release(lock):
    _store_release(lock, np.int64(0))

