"""w2v: word2vec embeddings (skip-gram and CBOW with negative sampling),
readable and fast.

>>> import w2v
>>> model = w2v.Word2Vec(dim=100).train("corpus.txt")   # doctest: +SKIP
>>> model.save("corpus.w2v")                            # doctest: +SKIP
>>> w2v.load("corpus.w2v").wv.most_similar("king")      # doctest: +SKIP
"""

__version__ = "0.1.0"

from .corpus import Corpus
from .errors import CorpusError, ModelFormatError, VocabularyError, W2VError
from .keyedvectors import KeyedVectors, UnknownWordError
from .model import Word2Vec
from .vocab import Vocabulary


def load(path) -> Word2Vec:
    """Load a model file written by ``Word2Vec.save`` (or ``w2v train``)."""
    return Word2Vec.load(path)


__all__ = ["Corpus", "CorpusError", "KeyedVectors", "ModelFormatError", "UnknownWordError",
           "VocabularyError", "Vocabulary", "W2VError", "Word2Vec", "load", "__version__"]
