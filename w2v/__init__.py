"""w2v: word2vec embeddings (skip-gram and CBOW with negative sampling),
readable and fast.

>>> import w2v
>>> model = w2v.Word2Vec(dim=100).train("corpus.txt")   # doctest: +SKIP
>>> model.save("corpus.w2v")                            # doctest: +SKIP
>>> w2v.load("corpus.w2v").wv.most_similar("king")      # doctest: +SKIP
>>> w2v.load("vectors.bin").most_similar("king")        # doctest: +SKIP
"""

__version__ = "0.1.0"

from .corpus import Corpus
from .errors import (CorpusError, ModelFormatError, SettingsError, TrainingDivergedError,
                     VocabularyError, W2VError)
from .formats import detect_format, load_vectors, load_word2vec_format
from .item2vec import Item2Vec
from .keyedvectors import KeyedVectors, UnknownWordError
from .model import Word2Vec
from .pipeline import StopTraining, TrainingState
from .vocab import Vocabulary


def load(path, *, index: bool = True) -> Word2Vec | KeyedVectors:
    """Load a model file written by ``Word2Vec.save`` (or ``w2v train``) as a
    ``Word2Vec``, or a vector file as ``KeyedVectors``: word2vec text or
    binary (word2vec C, gensim, fastText ``.vec``; optionally compressed) or
    TensorBoard projector files. The format is recognised by the content.

    ``load_vectors(path)`` gives ``KeyedVectors`` for all of them (a model's ``.wv``).
    With ``index`` (the default), the approximate index ``w2v index`` saved
    beside the file is used for queries on large vocabularies.
    """
    if detect_format(path) == "w2v-model":
        model = Word2Vec.load(path)
        return model.load_indexes(path) if index else model
    return load_vectors(path, index=index)


__all__ = ["Corpus", "CorpusError", "Item2Vec", "KeyedVectors", "ModelFormatError", "SettingsError", "StopTraining", "TrainingDivergedError", "TrainingState", "UnknownWordError",
           "VocabularyError", "Vocabulary", "W2VError", "Word2Vec", "detect_format", "load",
           "load_vectors", "load_word2vec_format", "__version__"]
