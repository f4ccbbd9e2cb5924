"""The vocabulary: word counts in frequency order, and the two distributions
training draws from (subsampling keep-probabilities and the noise distribution
for negatives).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .errors import CorpusError, VocabularyError


@dataclass
class Vocabulary:
    """Words most frequent first, with their counts.

    Attributes
    ----------
    words : list of str
        Row ``i`` of every vector matrix belongs to ``words[i]``.
    counts : ndarray of int64
        Occurrences of each word in the corpus it was built from.
    corpus_tokens : int
        All tokens read while counting, including those below ``min_count``.
    pruned_words : int
        Distinct words dropped while counting to respect ``max_size``.
    """

    words: list[str]
    counts: np.ndarray
    corpus_tokens: int = 0
    pruned_words: int = 0
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if len(self.words) != len(self.counts):
            raise ValueError(f"{len(self.words)} words but {len(self.counts)} counts")
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise VocabularyError("the vocabulary lists a word twice")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    @property
    def total_count(self) -> int:
        """Tokens of the corpus that are in the vocabulary: the words one epoch trains on."""
        return int(self.counts.sum())

    @classmethod
    def build(
        cls,
        sentences: Iterable[list[str]],
        min_count: int = 5,
        max_size: int | None = None,
    ) -> Vocabulary:
        """Count the words of ``sentences`` and keep those seen ``min_count`` times.

        With ``max_size``, at most that many distinct words are held while
        counting: whenever the table grows past it, the rarest words are dropped
        (word2vec's pruning), so memory stays bounded on any corpus. Counts of
        words that survive a pruning are then lower bounds. The final vocabulary
        keeps at most ``max_size`` words, the most frequent.
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        counter: Counter[str] = Counter()
        corpus_tokens = 0
        pruned = 0
        prune_below = 1
        for sentence in sentences:
            counter.update(sentence)
            corpus_tokens += len(sentence)
            if max_size is not None and len(counter) > max_size:
                prune_below += 1
                rare = [w for w, c in counter.items() if c < prune_below]
                for word in rare:
                    del counter[word]
                pruned += len(rare)
        if corpus_tokens == 0:
            raise VocabularyError("the corpus holds no tokens: nothing to train on")
        kept = [(w, c) for w, c in counter.items() if c >= min_count]
        not_text = next((w for w, _ in kept if not isinstance(w, str)), None)
        if not_text is not None:
            raise CorpusError(f"tokens must be strings, found {not_text!r} "
                              f"({type(not_text).__name__}): convert them with str()")
        # Frequency order, ties broken by the word itself so builds are reproducible.
        kept.sort(key=lambda wc: (-wc[1], wc[0]))
        if max_size is not None:
            kept = kept[:max_size]
        if not kept:
            most = counter.most_common(1)[0][1] if counter else 0
            raise VocabularyError(
                f"no word occurs at least min_count={min_count} times "
                f"(the most frequent occurs {most} times); lower --min-count"
            )
        counts = np.array([c for _, c in kept], dtype=np.int64)
        packed, lengths = _pack([w for w, _ in kept])
        del counter, kept  # every distinct word counted, and the kept ones among them
        return cls(_unpack(packed, lengths), counts, corpus_tokens=corpus_tokens, pruned_words=pruned)

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each occurrence of a word (frequent words are
        subsampled), word2vec's rule: with ``t = sample * total``,
        ``p = (sqrt(count / t) + 1) * t / count``, capped at 1.
        ``sample=0`` keeps everything. See docs/derivation.md.
        """
        if sample < 0:
            raise ValueError(f"sample must be >= 0, got {sample}")
        if sample == 0:
            return np.ones(len(self), dtype=np.float32)
        threshold = sample * self.total_count
        counts = self.counts.astype(np.float64)
        keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
        return np.minimum(keep, 1.0).astype(np.float32)

    def noise_distribution(self, exponent: float = 0.75) -> np.ndarray:
        """Probabilities of drawing each word as a negative: ``count ** exponent``,
        normalised (0.75 in word2vec; 0 gives uniform, 1 the unigram distribution)."""
        weights = self.counts.astype(np.float64) ** exponent
        return weights / weights.sum()


# The kept words were made one at a time while counting, so they lie scattered
# over the memory of every word counted, and as long as they live the allocator
# cannot hand that memory back (about 10 MB on a 35M-token corpus, all of it
# still held at the peak of training). Packing them into one string while the
# counts are dropped, then cutting it up again, lays them out side by side.

def _pack(words: list[str]) -> tuple[str, np.ndarray]:
    return "".join(words), np.fromiter(map(len, words), dtype=np.int64, count=len(words))


def _unpack(packed: str, lengths: np.ndarray) -> list[str]:
    ends = np.cumsum(lengths).tolist()
    return [packed[start:end] for start, end in zip([0, *ends[:-1]], ends)]
