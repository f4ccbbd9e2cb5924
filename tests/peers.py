"""gensim, for the tests that check w2v against it (its evaluators, its
reading of our files).

gensim is a peer, listed only in the bench extra: on a machine without it
those tests are skipped. CI installs it (.ci/run), so there a missing gensim
fails the tests instead of skipping them unseen.
"""

import os

import pytest


def gensim_models():
    """``gensim.models``, or a skip where gensim is not installed (outside CI)."""
    if os.environ.get("CI"):
        import gensim.models  # CI installs gensim: its absence is a failure there

        return gensim.models
    return pytest.importorskip("gensim.models", reason="gensim is not installed "
                               "(.ci/run installs it; pip install gensim)")
