"""Option types the commands share: numbers that must be finite and in range.

click's ``FloatRange`` lets NaN through (every comparison with NaN is false)
and accepts ``inf``; a setting that is not a finite number is always a mistake.
"""

import math

import click


class FiniteFloat(click.ParamType):
    """A finite float, optionally bounded: ``FiniteFloat(min=0, min_open=True)`` is > 0."""

    name = "float"

    def __init__(self, min=None, max=None, min_open=False):
        self.min, self.max, self.min_open = min, max, min_open

    def convert(self, value, param, ctx):
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{value!r} is not a finite number", param, ctx)
        too_low = self.min is not None and (number <= self.min if self.min_open else number < self.min)
        if too_low or (self.max is not None and number > self.max):
            self.fail(f"{value!r} is not in {self._range()}", param, ctx)
        return number

    def _range(self):
        low = "-inf" if self.min is None else f"{self.min:g}"
        high = "inf" if self.max is None else f"{self.max:g}"
        return f"{'(' if self.min_open else '['}{low}, {high}]"
