"""Standard tests of word vectors: analogy questions and word-pair similarity.

The protocols follow word2vec's ``compute-accuracy`` and gensim's evaluators,
so figures are comparable with published ones (and equal gensim's on the same
vectors): only the ``restrict_vocab`` most frequent words are used, as
question words and as answers; the three words of a question are never its
answer; questions or pairs with an unknown word are skipped and counted.
With ``case_insensitive`` (the default) words are compared lower-cased, and
a word spelled with several casings stands for its most frequent one.

The bundled test sets (``w2v/data/``, see its README) are the defaults:
the Google analogy questions (Mikolov et al. 2013) and WordSim-353
(Finkelstein et al. 2002).
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import W2VError
from .keyedvectors import COSMUL_EPSILON

DATA = Path(__file__).resolve().parent / "data"
GOOGLE_ANALOGIES = DATA / "questions-words.txt"
WORDSIM353 = DATA / "wordsim353.tsv"

ANALOGY_METHODS = ("3cosadd", "3cosmul")
# Bound on each (questions, vocabulary) score matrix: 2**23 float32, 32 MB.
SCORE_CELLS = 1 << 23
# Questions answered together, at most (their ids are Python lists until then).
MAX_BATCH = 4096
# Longest line of a test file: a question or a pair with its columns.
MAX_LINE_BYTES = 1 << 16
# Distinct sections of an analogy file (the Google set has 14, BATS 40).
MAX_SECTIONS = 10_000


def is_syntactic(section: str) -> bool:
    """The Google set names its nine syntactic sections ``gram1-...`` to ``gram9-...``;
    the other five (capitals, currency, cities, family) are semantic."""
    return section.startswith("gram")


class Section(NamedTuple):
    correct: int
    asked: int
    skipped: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.asked if self.asked else 0.0


@dataclass
class AnalogyResult:
    """Accuracy over the questions whose four words are known.

    ``sections`` maps each section name, in file order, to its ``Section``
    (``correct``, ``asked``, ``skipped`` for unknown words)."""

    sections: dict[str, Section] = field(default_factory=dict)
    method: str = "3cosadd"
    restrict_vocab: int = 30_000

    def total(self, syntactic: bool | None = None) -> Section:
        """Sums over all sections, or over the syntactic (True) or semantic (False) ones."""
        chosen = [s for name, s in self.sections.items()
                  if syntactic is None or is_syntactic(name) == syntactic]
        return Section(*(sum(column) for column in zip(*chosen))) if chosen else Section(0, 0, 0)

    @property
    def accuracy(self) -> float:
        return self.total().accuracy

    @property
    def semantic_accuracy(self) -> float:
        return self.total(syntactic=False).accuracy

    @property
    def syntactic_accuracy(self) -> float:
        return self.total(syntactic=True).accuracy

    @property
    def correct(self) -> int:
        return self.total().correct

    @property
    def asked(self) -> int:
        return self.total().asked

    @property
    def skipped(self) -> int:
        return self.total().skipped

    def __str__(self) -> str:
        return (f"{100 * self.accuracy:.2f}% of {self.asked:,} questions "
                f"(semantic {100 * self.semantic_accuracy:.2f}%, syntactic "
                f"{100 * self.syntactic_accuracy:.2f}%); {self.skipped:,} skipped for unknown words")


def _text_lines(path, kind: str):
    """Numbered lines of a UTF-8 text file, read a line at a time; a binary
    file, a line over ``MAX_LINE_BYTES`` or bytes that are not UTF-8 are
    one ``W2VError`` naming the file (and line)."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise W2VError(f"cannot read {path}: {error.strerror or error}") from None
    with handle:
        try:
            if b"\0" in handle.peek(8192)[:8192]:
                raise W2VError(f"{path} looks like a binary file (found NUL bytes), not {kind}")
            for number in itertools.count(1):
                line = handle.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                if len(line) > MAX_LINE_BYTES:
                    raise W2VError(f"{path}, line {number}: longer than {MAX_LINE_BYTES:,} bytes; "
                                   f"not {kind}?")
                if b"\0" in line:
                    raise W2VError(f"{path}, line {number}: holds NUL bytes; it looks like a binary "
                                   f"file, not {kind}")
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise W2VError(f"{path}, line {number}: not valid UTF-8 ({error.reason} at byte "
                                   f"{error.start}); {kind} must be UTF-8 text") from None
                yield number, text.removeprefix("\ufeff") if number == 1 else text
        except OSError as error:
            raise W2VError(f"cannot read {path}: {error.strerror or error}") from None


def _analogy_lines(path):
    """``(name, None)`` where a section starts, ``(section, (a, b, c, d))``
    for each question, in file order; at least one question."""
    section, asked = None, False
    for number, line in _text_lines(path, "an analogy file"):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            section = line[1:].strip()
            yield section, None
            continue
        words = line.split()
        if len(words) != 4:
            raise W2VError(f"{path}, line {number}: expected four words, got {len(words)}")
        if section is None:
            section = "questions"
            yield section, None
        asked = True
        yield section, tuple(words)
    if not asked:
        raise W2VError(f"{path} holds no analogy questions")


def read_analogies(path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of ``a b c d`` questions ("a is to b as c is to d") from a
    file in the Google format: ``: name`` opens a section."""
    sections: list[tuple[str, list]] = []
    for name, question in _analogy_lines(path):
        if question is None:
            sections.append((name, []))
        else:
            sections[-1][1].append(question)
    return sections


def _vocabulary(kv, restrict_vocab: int, case_insensitive: bool):
    """The words that take part, as ``(lookup, canonical, fold)``: ``lookup``
    maps a folded word to its row (the most frequent spelling), ``canonical``
    gives that row for each of the first ``restrict_vocab`` rows, ``fold``
    lower-cases when ``case_insensitive``."""
    fold = str.lower if case_insensitive else str
    lookup: dict[str, int] = {}
    for row, word in enumerate(kv.index_to_key[:restrict_vocab]):
        lookup.setdefault(fold(word), row)
    canonical = np.array([lookup[fold(w)] for w in kv.index_to_key[:restrict_vocab]], dtype=np.int64)
    return lookup, canonical, fold


def evaluate_word_analogies(kv, analogies=None, restrict_vocab: int = 30_000,
                            case_insensitive: bool = True, method: str = "3cosadd") -> AnalogyResult:
    """Answer each question "a is to b as c is to ?" and count right answers.

    Parameters
    ----------
    kv : KeyedVectors
        Vectors whose rows are most frequent first.
    analogies : path, optional
        A file in the Google format; the bundled Google set by default.
    restrict_vocab : int
        Questions with a word outside the first ``restrict_vocab`` rows are
        skipped, and answers are searched among those rows only (30,000 as
        in word2vec's ``compute-accuracy``).
    case_insensitive : bool
        Compare words lower-cased.
    method : {"3cosadd", "3cosmul"}
        ``3cosadd``: the word closest by cosine to ``b - a + c`` (unit
        vectors). ``3cosmul``: the word maximising ``cos'(x, b) cos'(x, c) /
        (cos'(x, a) + 1e-6)`` with ``cos' = (1 + cos) / 2`` (Levy and Goldberg 2014).

    Returns
    -------
    AnalogyResult

    Examples
    --------
    >>> result = kv.evaluate_word_analogies()              # doctest: +SKIP
    >>> print(result)                                       # doctest: +SKIP
    61.07% of 18,585 questions (semantic 66.30%, syntactic 56.91%); 959 skipped for unknown words
    """
    if method not in ANALOGY_METHODS:
        raise ValueError(f"method must be one of {ANALOGY_METHODS}, not {method!r}")
    path = GOOGLE_ANALOGIES if analogies is None else analogies
    lookup, canonical, fold = _vocabulary(kv, restrict_vocab, case_insensitive)
    unit = kv.unit_vectors[:len(canonical)]
    batch = min(MAX_BATCH, max(1, SCORE_CELLS // max(len(unit), 1)))
    result = AnalogyResult(method=method, restrict_vocab=restrict_vocab)
    known: list[list[int]] = []  # ids of the current section's questions not yet answered
    skipped = 0

    def answer(name):
        """Add the pending questions of section ``name`` to its counts."""
        nonlocal known, skipped
        ids = np.array(known, dtype=np.int64).reshape(-1, 4)
        a, b, c, d = ids.T
        correct = int((_answers(unit, canonical, a, b, c, method) == d).sum()) if len(ids) else 0
        before = result.sections[name]  # a section may come back
        result.sections[name] = Section(before.correct + correct, before.asked + len(ids),
                                        before.skipped + skipped)
        known, skipped = [], 0

    section = None
    # Questions are read, looked up and answered a batch at a time: memory
    # does not grow with the file.
    for name, question in _analogy_lines(path):
        if question is None:
            if section is not None:
                answer(section)
            if name not in result.sections and len(result.sections) == MAX_SECTIONS:
                raise W2VError(f"{path}: more than {MAX_SECTIONS:,} sections; not an analogy file?")
            result.sections.setdefault(name, Section(0, 0, 0))
            section = name
            continue
        rows = [lookup.get(fold(w)) for w in question]
        if None in rows:
            skipped += 1
            continue
        known.append(rows)
        if len(known) == batch:
            answer(section)
    if section is not None:
        answer(section)
    return result


def _answers(unit, canonical, a, b, c, method) -> np.ndarray:
    """Canonical row of the best answer to each question (a, b, c: row arrays)."""
    if method == "3cosadd":
        scores = (unit[b] - unit[a] + unit[c]) @ unit.T
    else:
        def shifted(rows):
            return (1 + unit[rows] @ unit.T) / 2
        scores = shifted(b) * shifted(c) / (shifted(a) + COSMUL_EPSILON)
    questions = np.arange(len(a))
    for given in (a, b, c):
        scores[questions, given] = -np.inf
    while True:
        # Another casing of a question word is that word, so not an answer either.
        best = scores.argmax(axis=1)
        answer = canonical[best]
        again = ((answer == a) | (answer == b) | (answer == c)) & np.isfinite(scores[questions, best])
        if not again.any():
            return answer
        scores[questions[again], best[again]] = -np.inf


@dataclass
class SimilarityResult:
    """Correlations between cosine similarity and human scores over the
    ``pairs`` whose two words are known; ``oov_pairs`` were skipped."""

    spearman: float
    pearson: float
    pairs: int
    oov_pairs: int

    @property
    def oov_ratio(self) -> float:
        total = self.pairs + self.oov_pairs
        return self.oov_pairs / total if total else 0.0

    def __str__(self) -> str:
        return (f"Spearman {self.spearman:.4f}, Pearson {self.pearson:.4f} over {self.pairs} pairs; "
                f"{self.oov_pairs} with unknown words")


def _word_pair_lines(path):
    """``(word1, word2, score)`` for each pair of a word-pair file, in order;
    at least one pair."""
    column, header_seen, found = None, False, False
    for number, line in _text_lines(path, "a word-pair file"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in (line.split("\t") if "\t" in line else line.split())]
        if column is None:
            column = next((i for i in range(2, len(fields)) if _is_number(fields[i])), None)
            if column is None:
                if header_seen or len(fields) < 3:
                    raise W2VError(f"{path}, line {number}: expected two words and a score")
                header_seen = True
                continue
        if len(fields) <= column:
            raise W2VError(f"{path}, line {number}: expected two words and a score")
        if not _is_number(fields[column]):
            raise W2VError(f"{path}, line {number}: score {fields[column][:60]!r} is not a number")
        found = True
        yield fields[0], fields[1], float(fields[column])
    if not found:
        raise W2VError(f"{path} holds no word pairs")


def read_word_pairs(path) -> list[tuple[str, str, float]]:
    """``(word1, word2, score)`` from a word-pair file.

    Fields are tab-separated (or, in a line without tabs, space-separated);
    lines starting with ``#`` are comments. The score is the first numeric
    field after the two words, so files with extra columns, like
    SimLex-999's ``word1 word2 POS SimLex999 ...``, read as they are. A first
    line with no numeric field is a header.
    """
    return list(_word_pair_lines(path))


def _is_number(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


def evaluate_word_pairs(kv, pairs=None, restrict_vocab: int = 300_000,
                        case_insensitive: bool = True) -> SimilarityResult:
    """Spearman and Pearson correlation between the cosine similarity of
    each pair and its human score (WordSim-353, bundled, by default).

    Pairs with a word outside the first ``restrict_vocab`` rows are skipped
    and counted in ``oov_pairs`` (300,000 by default, as gensim does).

    Examples
    --------
    >>> print(kv.evaluate_word_pairs())                      # doctest: +SKIP
    Spearman 0.6981, Pearson 0.6670 over 353 pairs; 0 with unknown words
    """
    path = WORDSIM353 if pairs is None else pairs
    lookup, _, fold = _vocabulary(kv, restrict_vocab, case_insensitive)
    unit = kv.unit_vectors
    # Pairs are read and scored one at a time; only two floats each are kept.
    model, human, oov = array("d"), array("d"), 0
    for word1, word2, score in _word_pair_lines(path):
        row1, row2 = lookup.get(fold(word1)), lookup.get(fold(word2))
        if row1 is None or row2 is None:
            oov += 1
            continue
        model.append(float(unit[row1] @ unit[row2]))
        human.append(score)
    if len(model) < 2:
        raise W2VError(f"{path}: fewer than two pairs have both words in the vocabulary "
                       f"({oov} pairs have an unknown word)")
    from scipy import stats  # imported here: it alone took longer than all of w2v's start-up

    return SimilarityResult(spearman=float(stats.spearmanr(human, model).statistic),
                            pearson=float(stats.pearsonr(human, model).statistic),
                            pairs=len(model), oov_pairs=oov)
