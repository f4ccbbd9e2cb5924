"""Random draws shared by the compiled kernel and the NumPy reference.

Both must make the very same draws from the same seed, so that a test can
compare them update for update; hence a tiny generator of our own (xorshift64*,
Vigna 2016) instead of NumPy's, and Walker's alias method for negatives: O(1)
per draw from any distribution, with two arrays of vocabulary size.

The draws are compiled with numba (64-bit arithmetic that wraps, as the
generator needs); the kernel inlines them and the reference calls them from Python.
"""

import numpy as np
from numba import njit

from .errors import SettingsError

_MULTIPLIER = np.uint64(0x2545F4914F6CDD1D)
_S12, _S25, _S27 = np.uint64(12), np.uint64(25), np.uint64(27)
_S11, _S32 = np.uint64(11), np.uint64(32)
_TWO_POW_MINUS_53 = 1.0 / 9007199254740992.0


def seed_state(seed: int, stream: int = 0) -> np.ndarray:
    """A generator state (one uint64 in an array, updated in place) for ``seed``;
    ``stream`` gives independent states to parallel workers."""
    # splitmix64 of (seed, stream): never zero, well mixed even for seeds 0, 1, 2...
    z = (int(seed) * 0x9E3779B97F4A7C15 + (int(stream) + 1) * 0xD1B54A32D192ED03) & (2**64 - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
    z ^= z >> 31
    return np.array([z or 1], dtype=np.uint64)


@njit(nogil=True, cache=True)
def next_u64(state):
    """Advance the generator; return 64 random bits."""
    x = state[0]
    x ^= x >> _S12
    x ^= x << _S25
    x ^= x >> _S27
    state[0] = x
    return x * _MULTIPLIER


@njit(nogil=True, cache=True)
def random_below(state, n):
    """A uniform integer in [0, n) for n < 2**32 (Lemire's multiply-shift)."""
    return int(((next_u64(state) >> _S32) * np.uint64(n)) >> _S32)


@njit(nogil=True, cache=True)
def random_unit(state):
    """A uniform float in [0, 1) with 53 random bits."""
    return float(next_u64(state) >> _S11) * _TWO_POW_MINUS_53


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for drawing index ``i`` with ``probabilities[i]``.

    Returns ``(accept, alias)``: draw a uniform column ``i`` and a uniform
    ``u``; the result is ``i`` if ``u < accept[i]``, else ``alias[i]``.
    ``probabilities`` may be any finite weights >= 0, not all 0; anything
    else is a `SettingsError` (NaN weights would silently draw uniformly).
    """
    p = _weights(probabilities)
    n = len(p)
    scaled = p * (n / p.sum())
    accept = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    # What is left is 1 up to rounding error: accept always.
    return accept, alias


def _weights(probabilities) -> np.ndarray:
    try:
        p = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        p = None
    if p is None or p.ndim != 1 or not len(p) or not np.isfinite(p).all() or (p < 0).any() \
            or not p.any():
        raise SettingsError("a distribution to draw from must be finite weights >= 0, "
                            "not all 0, one per outcome")
    if float(p.max()) * len(p) == float("inf"):  # the sum could overflow: scale down first
        p = p / p.max()
    return p


@njit(nogil=True, cache=True)
def draw_alias(state, accept, alias):
    """One index drawn from the distribution of ``alias_table``."""
    column = random_below(state, len(accept))
    if random_unit(state) < accept[column]:
        return np.int64(column)
    return np.int64(alias[column])
