"""Progress reports for long work: percent, words/s, ETA, learning rate, loss.

On a terminal one line is redrawn in place; into a log file a line is written
every ``log_every`` seconds, so CI logs stay short and readable.
"""

from __future__ import annotations

import sys
import time


def format_duration(seconds: float) -> str:
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


class Progress:
    """Report ``done`` out of ``total`` words.

    Parameters
    ----------
    total : int
        Words to process in all.
    stream : file, optional
        Where to write (stderr by default); ``None`` disables output.
    """

    def __init__(self, total: int, stream=sys.stderr, redraw_every: float = 0.5,
                 log_every: float = 10.0):
        self.total = max(int(total), 1)
        self.stream = stream
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()
        self.every = redraw_every if self.tty else log_every
        self.start = None  # set by the first update: compiling the kernel and
        self.done_at_start = 0  # filling the pipeline would distort words/s and ETA
        self.last_shown = -float("inf")
        self.line_width = 0

    def update(self, done: int, *, epoch: int, epochs: int, eta: float, loss: float,
               force: bool = False) -> bool:
        """Show a line if one is due (or ``force``); return whether it did."""
        now = time.perf_counter()
        if self.start is None:
            self.start, self.done_at_start, self.last_shown = now, done, now
        if self.stream is None or (not force and now - self.last_shown < self.every):
            return False
        self.last_shown = now
        elapsed = now - self.start
        speed = (done - self.done_at_start) / elapsed if elapsed > 0 else 0.0
        remaining = (self.total - done) / speed if speed > 0 else 0.0
        line = (f"epoch {epoch}/{epochs}  {100 * done / self.total:5.1f}%  "
                f"{format_count(speed)} words/s  ETA {format_duration(remaining)}  "
                f"lr {eta:.5f}  loss {loss:.4f}")
        self._write(line)
        return True

    def message(self, text: str) -> None:
        """A line of its own (e.g. a summary), below any redrawn progress line."""
        if self.stream is not None:
            self._write(text, final=True)

    def close(self) -> None:
        if self.stream is not None and self.tty and self.line_width:
            self.stream.write("\n")
            self.stream.flush()
            self.line_width = 0

    def _write(self, line: str, final: bool = False) -> None:
        if self.tty:
            pad = " " * max(self.line_width - len(line), 0)
            self.stream.write("\r" + line + pad + ("\n" if final else ""))
            self.line_width = 0 if final else len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
