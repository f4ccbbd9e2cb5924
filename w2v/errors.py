"""Errors that a user can cause and fix.

The CLI prints these as one line without a traceback; anything else is a bug.
"""


class W2VError(Exception):
    """Base class for mistakes in the input or the options, not in w2v."""


class SettingsError(W2VError, ValueError):
    """A setting is out of range, not a number, or inconsistent with another.

    Also a ``ValueError``, which is what callers of a scikit-learn-style
    estimator expect from a bad parameter."""


class CorpusError(W2VError):
    """The corpus cannot be read or holds nothing to train on."""


class VocabularyError(W2VError):
    """The vocabulary is empty or unusable with the chosen settings."""


class ModelFormatError(W2VError):
    """A model or vector file is malformed, truncated or of an unknown version."""


class TrainingDivergedError(W2VError):
    """The loss or the vectors became NaN or infinite: the learning rate is too high."""


class OutputError(W2VError, OSError):
    """A file cannot be saved where asked: the target is not a regular file, its
    folder is missing or read-only, or the write failed (a full disk). Nothing
    is left half-written: a previous file at ``path`` is unchanged.

    ``path`` is the target and ``reason`` what went wrong, in a few words
    ("No space left on device"), for callers that word their own message. Also
    an ``OSError`` (with the failed write's ``errno``), which is what callers
    of a save caught before it existed."""

    def __init__(self, message: str, path=None, reason: str | None = None,
                 errno: int | None = None):
        super().__init__(message)
        self.path, self.reason, self.errno = path, reason, errno
