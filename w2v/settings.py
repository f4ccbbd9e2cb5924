"""Checks of training settings, and of the memory they will need.

Every setting is checked before any work, whether it comes from the
constructor, the command line or a model file being loaded: a value that is
not a number, NaN, out of range or inconsistent with another is a
`SettingsError` that names it. Sizes are checked against the memory this
process may use, so that an absurd ``dim`` or ``negative`` is an error that
says what it would cost rather than a ``MemoryError`` (or a thread that dies)
somewhere in training.
"""

from __future__ import annotations

import math
import numbers
import os
import resource

from .errors import SettingsError

#: Largest values accepted for the sizes: far beyond any useful setting, small
#: enough that the products below stay exact and the scratch buffers small.
LIMITS = {"dim": 100_000, "window": 10_000_000, "negative": 10_000, "workers": 1024,
          "max_sentence_length": 10_000_000, "batch_words": 100_000_000, "epochs": 1_000_000,
          "min_count": 2**62, "max_vocab_size": 2**40}


def whole_number(name: str, value, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (default high: ``LIMITS[name]``).

    Booleans are refused (``True`` is an int in Python, never a size here)."""
    high = LIMITS.get(name) if high is None else high
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SettingsError(f"{name} must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low:,}" if high is None else f"between {low:,} and {high:,}"
        raise SettingsError(f"{name} must be {bound}, got {value:,}")
    return int(value)


def real_number(name: str, value, low: float | None = None, low_open: bool = False,
                high: float | None = None, finite: bool = True) -> float:
    """``value`` as a float, optionally in a range (``low_open``: > low);
    finite unless ``finite=False``, which admits +inf (never NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SettingsError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) and (finite or value != math.inf):
        kind = "a finite number" if finite else "a number (or inf)"
        raise SettingsError(f"{name} must be {kind}, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise SettingsError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and value > high:
        raise SettingsError(f"{name} must be at most {high:g}, got {value:g}")
    return value


def available_memory() -> int | None:
    """Bytes this process may still allocate, as far as the system says: the
    least of available RAM, the cgroup (container) limit and the address-space
    rlimit; None when none of them is known."""
    bounds = []
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    bounds.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as limit:
            text = limit.read().strip()
        if text.isdigit():
            bounds.append(int(text))
    except OSError:
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        bounds.append(soft)
    if not bounds and hasattr(os, "sysconf"):
        try:
            bounds.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(bounds) if bounds else None


def check_memory(what: str, nbytes: int, fix: str) -> None:
    """Refuse to start something that needs more memory than there is."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise SettingsError(f"{what} would need {_size(nbytes)} of memory, but only "
                            f"{_size(free)} is available: {fix}")


def _size(nbytes: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes} bytes"


def output_layer(hs, negative, minibatch: bool = False) -> tuple[bool, int]:
    """The output layer's settings, checked together: ``hs`` (hierarchical
    softmax) True or False, ``negative`` noise words per example, 0 only with
    ``hs`` (hierarchical softmax alone, word2vec C's ``-hs 1 -negative 0``);
    both on sums the two losses. The minibatched kernels have no
    hierarchical softmax."""
    if not isinstance(hs, bool):
        raise SettingsError(f"hs must be True or False, got {hs!r}")
    negative = whole_number("negative", negative, low=0)
    if negative == 0 and not hs:
        raise SettingsError("negative must be >= 1 without hs: with negative=0 nothing would be "
                            "learned (negative=0 needs hs=True, hierarchical softmax alone)")
    if hs and minibatch:
        raise SettingsError("hs cannot be combined with minibatch: the minibatched kernels "
                            "train negative sampling only")
    return hs, negative
