"""One synchronisation round on one partition, and how rounds' results merge.

What runs on an executor: a partition takes the round's vectors (a
broadcast), trains on its share of the round with w2v's own compiled kernel
(`w2v.kernels`), and returns only the rows it changed, with how often it
updated each (docs/derivation.md, section 10). The driver then moves each
row j by its partitions' changes d_pj, weighted by their update counts n_pj:

    v_j <- v_j + h(N_j) * sum_p d_pj / h(n_pj),   N_j = sum_p n_pj,
    h(n) = (1 - (1 - a)^n) / (n a)                                       (eq. 27)

where a is how far one update moves a row towards where its updates lead.
A row that partitions updated rarely (n a small, h near 1) takes the sum of
their changes, as one machine applying all those updates would; a row
updated very often (n a large, each change already most of the way) takes
their weighted mean, sum_p (n_pj / N_j) d_pj, and cannot overshoot by adding
up P times the same move (summing is what blew rows up in SPARK-24666).

The counts n_pj are the expected numbers of updates of row j in partition
p's share, from the share's word counts (eq. 28): the kernel does not count
its updates. Each partition sends d_pj / h(n_pj) and n_pj, which merge by
plain addition, so Spark may merge them in any order or tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import kernels
from ..sampling import seed_state

__all__ = ["RoundPlan", "Settings", "Update", "for_transport", "merge", "saturation",
           "train_share"]

#: Rows compared at a time when looking for changed rows (bounds the scratch memory).
COMPARE_ROWS = 1 << 14
#: Values of this size or more do not fit half precision (its largest is 65,504).
HALF_LIMIT = 60_000.0


def for_transport(values: np.ndarray) -> np.ndarray:
    """``values`` in half precision, for the trip between driver and executors,
    unless some do not fit it. Nothing is lost that training keeps: a partition
    trains from the rounded vectors and sends the change it made *to them*,
    which the driver adds to its own full-precision rows; and a change (a sum
    of small steps) rounded to 11 bits is off by 0.05%, once. Halving the
    bytes halves what each round sends both ways (docs/scaling.md)."""
    if values.size and not np.abs(values).max() < HALF_LIMIT:
        return values  # too large (or not finite: the driver's divergence check says so)
    return values.astype(np.float16)


@dataclass(frozen=True)
class Settings:
    """The training settings a partition needs (a model's, as plain values)."""

    sg: bool
    window: int
    shrink_windows: bool
    negative: int
    share_noise: bool
    max_sentence_length: int
    seed: int

    @property
    def inputs_per_example(self) -> float:
        """Input rows one example moves: 1 for a skip-gram pair; for CBOW the
        mean context size, 2 E[b] for a window b drawn from 1..window (eq. 24)."""
        if self.sg:
            return 1.0
        return float(self.window + 1 if self.shrink_windows else 2 * self.window)


@dataclass(frozen=True)
class RoundPlan:
    """Which round this is, and where it sits in the learning-rate schedule.

    Attributes
    ----------
    share : int
        Which of a partition's batches train in this round: those tagged ``share``.
    batches : (int, int or None)
        Of those, the slice that trains (a warm-up round trains part of a share).
    serial : int
        Rounds of this model trained before (seeds each partition's draws).
    words_before : int
        Words of the run trained before this round, by all partitions.
    round_words : int
        Words all partitions train in this round.
    total_words : int
        Words of the whole run: the learning rate reaches ``eta_end`` there (eq. 22).
    eta_start, eta_end : float
    contraction : float
        ``a`` of eq. 27 for this round.
    """

    share: int
    serial: int
    words_before: int
    round_words: int
    total_words: int
    eta_start: float
    eta_end: float
    contraction: float
    batches: tuple[int, int | None] = (0, None)

    def eta(self, done: float) -> float:
        """Learning rate after ``done`` words of the run (eq. 22)."""
        return self.eta_start - (self.eta_start - self.eta_end) * min(done / self.total_words, 1.0)


def saturation(updates: np.ndarray, contraction: float) -> np.ndarray:
    """h(n) of eq. 27: the share of n updates' summed steps that n updates
    move a row, when each moves it a fraction ``a`` of the way left; 1 for
    few updates, about 1 / (n a) for many. Exactly 1 when ``a`` is 0."""
    n = np.asarray(updates, dtype=np.float64)
    if contraction <= 0:
        return np.ones_like(n)
    moved = -np.expm1(n * np.log1p(-min(contraction, 0.5)))  # 1 - (1 - a)^n
    with np.errstate(invalid="ignore", divide="ignore"):
        h = moved / (n * contraction)
    return np.where(n * contraction < 1e-12, 1.0, h)


@dataclass
class Update:
    """What partitions changed in a round: for each matrix, the rows changed,
    the sums of their changes each divided by h(n_pj), and their summed
    update counts N_j (eq. 27); and the words, pairs and summed loss trained."""

    in_rows: np.ndarray      # int64 (r,), sorted
    in_sums: np.ndarray      # float16 or float32 (r, d): sum_p d_pj / h(n_pj)
    in_counts: np.ndarray    # float64 (r,): N_j
    out_rows: np.ndarray
    out_sums: np.ndarray
    out_counts: np.ndarray
    words: int = 0
    pairs: int = 0
    loss: float = 0.0

    def apply(self, W_in: np.ndarray, W_out: np.ndarray, contraction: float) -> None:
        """Move the rows to their merged values (eq. 27), in place."""
        for W, rows, sums, counts in ((W_in, self.in_rows, self.in_sums, self.in_counts),
                                      (W_out, self.out_rows, self.out_sums, self.out_counts)):
            if len(rows):
                factor = saturation(counts, contraction).astype(np.float32)
                W[rows] += sums * factor[:, None]

    @property
    def rows(self) -> int:
        """Rows this update moves, in both matrices."""
        return len(self.in_rows) + len(self.out_rows)


def empty_update(dim: int) -> Update:
    rows, sums, counts = _no_rows(dim)
    return Update(rows, sums, counts, rows, sums, counts)


def _no_rows(dim: int):
    return (np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32),
            np.zeros(0, dtype=np.float64))


def merge(a: Update, b: Update) -> Update:
    """Two partitions' (or two merged groups') updates as one: sums and
    counts add up row by row. Associative and commutative, so Spark may
    merge in any order or tree."""
    return Update(*_union(a.in_rows, a.in_sums, a.in_counts, b.in_rows, b.in_sums, b.in_counts),
                  *_union(a.out_rows, a.out_sums, a.out_counts,
                          b.out_rows, b.out_sums, b.out_counts),
                  words=a.words + b.words, pairs=a.pairs + b.pairs, loss=a.loss + b.loss)


def _union(rows_a, sums_a, counts_a, rows_b, sums_b, counts_b):
    if not len(rows_b):
        return rows_a, sums_a, counts_a
    if not len(rows_a):
        return rows_b, sums_b, counts_b
    rows = np.union1d(rows_a, rows_b)
    sums = np.zeros((len(rows), sums_a.shape[1]), dtype=np.float32)
    counts = np.zeros(len(rows), dtype=np.float64)
    for part_rows, part_sums, part_counts in ((rows_a, sums_a, counts_a),
                                              (rows_b, sums_b, counts_b)):
        at = np.searchsorted(rows, part_rows)  # each part's rows are distinct
        sums[at] += part_sums
        counts[at] += part_counts
    return rows, sums, counts


# --- on an executor ---------------------------------------------------------------------


def train_share(settings: Settings, plan: RoundPlan, vectors, tables, partition: int, items):
    """Train partition ``partition`` on its batches of round ``plan.share``.

    ``items`` are the partition's cached ``(share, ids, ends)`` batches;
    ``vectors`` and ``tables`` are broadcasts of ``(W_in, W_out)`` and of
    ``(keep, accept, alias, noise)`` (subsampling keep-probabilities, the
    noise alias table, the noise distribution); the vectors come in half
    precision (`for_transport`). Yields one `Update`.
    """
    batches = [(ids, ends) for share, ids, ends in items if share == plan.share]
    batches = batches[slice(*plan.batches)]
    W_in_start, W_out_start = vectors.value
    keep, accept, alias, noise = tables.value
    dim = W_in_start.shape[1]
    words = sum(len(ids) for ids, _ in batches)
    if words == 0:
        yield empty_update(dim)
        return
    W_in, W_out = W_in_start.astype(np.float32), W_out_start.astype(np.float32)
    loss, pairs = _train_batches(settings, plan, partition, batches, words, W_in, W_out,
                                 keep, accept, alias)
    counts = np.bincount(np.concatenate([ids for ids, _ in batches]), minlength=len(keep))
    in_updates, out_updates = expected_updates(counts, keep, noise, pairs, settings.negative,
                                               settings.inputs_per_example)
    yield Update(*_changes(W_in, W_in_start, in_updates, plan.contraction, np.flatnonzero(counts)),
                 *_changes(W_out, W_out_start, out_updates, plan.contraction, None),
                 words=words, pairs=pairs, loss=loss)


def _train_batches(settings, plan, partition, batches, words, W_in, W_out, keep, accept, alias):
    """Run the kernel over the batches, the learning rate following the
    run's global word count: partitions train side by side, so word x of
    this partition's share stands at x / words of the round (eq. 26)."""
    state = seed_state(settings.seed, stream=1_000_000 + 4099 * plan.serial + partition)
    kept = np.empty(settings.max_sentence_length, dtype=np.int32)
    scratch = np.empty((2 * min(settings.window, settings.max_sentence_length),
                        settings.negative), dtype=np.int64)
    dv = np.empty(W_in.shape[1], dtype=np.float32)
    h = np.empty(W_in.shape[1], dtype=np.float32)
    no_hot_rows = np.empty((2, 0, W_in.shape[1]), dtype=np.float32)  # one thread: none needed
    loss, pairs, done = 0.0, 0, 0

    def eta_at(position):
        return plan.eta(plan.words_before + plan.round_words * position / words)

    for ids, ends in batches:
        eta_a, eta_b = eta_at(done), eta_at(done + len(ids))
        done += len(ids)
        data = (W_in, W_out, ids, ends, keep, accept, alias, settings.window,
                settings.shrink_windows)
        if settings.sg:
            batch_loss, batch_pairs = kernels.train_skipgram(
                *data, settings.share_noise, eta_a, eta_b, state, kept, scratch, dv, no_hot_rows)
        else:
            batch_loss, batch_pairs = kernels.train_cbow(
                *data, eta_a, eta_b, state, kept, scratch, dv, h, no_hot_rows)
        loss += batch_loss
        pairs += batch_pairs
    return loss, pairs


def expected_updates(counts: np.ndarray, keep: np.ndarray, noise: np.ndarray, pairs: int,
                     negative: int, inputs_per_example: float = 1.0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Expected updates of each input and output row in a share (eq. 28).

    ``pairs`` is what the kernel counted: (centre, context) pairs for
    skip-gram, centre words with context for CBOW. A word's kept occurrences
    (``counts * keep``) are a share ``q`` of the share's kept words; as
    many of the examples have it as their positive word, so its output row
    is updated ``pairs * q`` times as the positive and ``pairs * negative *
    noise`` times as a noise word; its input row ``pairs * q`` times, once
    per example it is context of (skip-gram), times the mean context size
    (``inputs_per_example``; CBOW moves every context row of an example).
    """
    kept = counts * keep.astype(np.float64)
    share = kept / max(kept.sum(), 1e-300)
    return pairs * share * inputs_per_example, pairs * (share + negative * noise)


def _changes(W, W_start, updates, contraction, candidates):
    """The rows of ``W`` that differ from ``W_start`` (among ``candidates``,
    or all), with their changes divided by h(n), and their counts n (eq. 27)."""
    rows = _changed_rows(W, W_start, candidates)
    # A changed row's expected count is never 0; the floor only keeps the
    # weights finite if rounding made one so.
    row_updates = np.maximum(updates[rows], 1e-9)
    scale = (1.0 / saturation(row_updates, contraction)).astype(np.float32)
    sums = (W[rows] - W_start[rows]) * scale[:, None]
    return rows, for_transport(sums), row_updates


def _changed_rows(W, W_start, candidates) -> np.ndarray:
    found = []
    if candidates is None:
        for start in range(0, len(W), COMPARE_ROWS):
            block = slice(start, start + COMPARE_ROWS)
            found.append(start + np.flatnonzero((W[block] != W_start[block]).any(axis=1)))
    else:
        for start in range(0, len(candidates), COMPARE_ROWS):
            rows = candidates[start:start + COMPARE_ROWS]
            found.append(rows[(W[rows] != W_start[rows]).any(axis=1)])
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
