"""Approximate nearest neighbours for vocabularies and catalogs of millions.

Exact search reads every row for every query: 2 million rows of 64 floats
are 512 MB of memory traffic per query. A ``VectorIndex`` is an HNSW graph
(Malkov and Yashunin 2018, built by the usearch library) that reaches the
nearest rows by a walk over a few thousand of them; the candidates it finds
are then scored exactly, so every score returned is the true one and only
the choice of candidates is approximate. benchmarks/results/ann.md has the
figures (recall@10 against exact search, queries/s, build time, memory).

An index is saved as two files beside the model, ``MODEL.cosine.ann`` (the
graph) and ``MODEL.cosine.ann.json`` (what it was built from, with
checksums); ``ip`` for the recommendation index. The graph file is
usearch's own serialisation without the vectors (they are the model's), and
it is pure data: ids and counts. Nothing in it is trusted: before usearch
sees it, it is read in full, checked against its checksum, and every field
the loader and the search will follow (sizes, levels, neighbour ids,
counts, keys) is checked against the model's row count, so a damaged or
hostile file is refused with a ``ModelFormatError`` instead of sending the
C++ search out of bounds. An index built from other vectors (the model was
retrained since) is refused by a digest of the vectors it was built from.

usearch is an optional dependency (``pip install 'w2v[ann]'``): without it
every query is exact, as before.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
from numba import njit

from .atomic import atomic_write
from .errors import ModelFormatError, SettingsError, W2VError
from .topk import top_k

__all__ = ["INDEX_THRESHOLD", "METRICS", "MissingDependencyError", "VectorIndex",
           "index_paths", "load_index_beside", "save_index_beside"]

#: Rows from which the index, when there is one, answers queries by default.
#: Measured in benchmarks/results/ann.md (one query, 1 thread, 64 dims): the
#: index overtakes exact search at about 15,000 rows (10,000: exact 0.22 ms,
#: index 0.41 ms; 100,000: 2.9 ms and 0.5 ms), but it may miss a neighbour;
#: below 200,000 rows an exact query still takes under 10 ms and is exact. At
#: 200,000 the index is 23 times faster (8.4 ms against 0.37 ms, recall@10
#: 0.998), at 2,000,000 58 times.
INDEX_THRESHOLD = 200_000

METRICS = ("cosine", "ip")
#: Graph edges per node (HNSW's M; level 0 has twice as many). 16 reaches
#: recall@10 0.986 on the benchmark's 2M x 64 catalog at the default
#: expansion (0.993 at 128); more edges cost memory (4 bytes each per row)
#: and build time.
CONNECTIVITY = 16
#: Candidates kept while inserting a row (efConstruction): usearch's default.
EXPANSION_ADD = 128
#: Candidates kept while searching (ef), per metric. Inner products over rows
#: of unequal length (item output vectors) are a harder graph to walk than
#: cosines: on 200,000 such rows recall@10 is 0.933 at 64 and 0.980 at 128.
EXPANSION_SEARCH = {"cosine": 64, "ip": 128}

INSTALL_HINT = "pip install 'w2v[ann]' (or pip install usearch)"

FORMAT_NAME = "w2v-ann"
FORMAT_VERSION = 1
MAX_META_BYTES = 64 << 10
# Rows are added this many at a time, so a long build can be interrupted
# (Ctrl-C) and reports progress between the calls into usearch.
ADD_BLOCK = 16_384
# Query blocks keep the (queries, candidates, dim) gather for exact scores
# near 64 MB.
GATHER_FLOATS = 1 << 24

# usearch's file layout (include/usearch/index_dense.hpp and index.hpp, major
# version 2): a 64-byte head, then the graph: a header of five uint64 (rows,
# connectivity, level-0 connectivity, top level, entry row), one int16 level
# per row, then each row's record: its key (uint64), its level (int16), and per
# level from 0 up a uint32 neighbour count followed by room for `capacity`
# uint32 neighbour slots. The vectors, which usearch puts first, are left out
# of our file and filled in from the model when it is loaded.
_HEAD_BYTES = 64
_GRAPH_HEADER = struct.Struct("<5Q")
_MAGIC = b"usearch"
_LIBRARY_MAJOR = 2
_KIND_IP, _KIND_F32, _KIND_U64, _KIND_U32 = 105, 11, 14, 15
_NODE_HEAD_BYTES = 10
# A real HNSW graph has few rows above level 0 (a fraction 1/M), so its size is
# close to rows x a level-0 record; twice that bounds what a crafted file may
# make us allocate, with room to spare for genuine graphs.
_SIZE_SLACK = 2
_MAX_LEVEL = 64


class MissingDependencyError(W2VError, ImportError):
    """A feature needs an optional package that is not installed."""


def _usearch():
    try:
        from usearch.index import Index
    except ImportError:
        raise MissingDependencyError(
            f"approximate nearest neighbours need the usearch package: "
            f"{INSTALL_HINT}") from None
    return Index


def _library_version() -> str:
    import usearch
    return getattr(usearch, "__version__", "unknown")


class VectorIndex:
    """An approximate nearest-neighbour index over the rows of a matrix.

    Make one with `build` or `load`; the constructor is internal.

    Attributes
    ----------
    metric : {"cosine", "ip"}
        ``"cosine"`` ranks rows by cosine similarity to the query (what
        ``most_similar`` asks); ``"ip"`` by the inner product (a query's
        score against item output vectors, for recommendations).
    rows, dim : int
        The shape of the indexed matrix.
    expansion_search : int
        Candidates the graph walk keeps (HNSW's ef): higher is slower and
        closer to exact. Settable.
    threads : int
        Threads for a batch of queries; 0 (the default) uses all cores.

    Examples
    --------
    >>> index = VectorIndex.build(vectors, "cosine")             # doctest: +SKIP
    >>> ids, scores = index.search(vectors[:2], k=5, exclude=[{0}, {1}])  # doctest: +SKIP
    >>> index.save("model.w2v.cosine.ann")                      # doctest: +SKIP
    >>> VectorIndex.load("model.w2v.cosine.ann", vectors)       # doctest: +SKIP
    """

    def __init__(self, graph, rows: np.ndarray, metric: str, digest: str, settings: dict,
                 slots: np.ndarray | None = None, buffer: np.ndarray | None = None):
        self._graph = graph
        # What candidates are scored against (unit rows for cosine), in usearch's
        # slot order: row r is _rows[slots[r]], or _rows[r] when slots is None.
        self._rows = rows
        self._slots = slots
        self._buffer = buffer    # a loaded graph is a view of this memory: keep it alive
        self.metric = metric
        self.vectors_digest = digest
        self.settings = settings
        self.threads = 0

    def __del__(self):
        # The graph may point into ``_buffer``: let it go first.
        self._graph = None

    def __repr__(self) -> str:
        return f"VectorIndex({self.rows} rows, dim {self.dim}, {self.metric})"

    @property
    def rows(self) -> int:
        return self._rows.shape[0]

    @property
    def dim(self) -> int:
        return self._rows.shape[1]

    @property
    def expansion_search(self) -> int:
        return int(self._graph.expansion_search)

    @expansion_search.setter
    def expansion_search(self, value: int) -> None:
        self._graph.expansion_search = _whole("expansion_search", value, 1, 1 << 20)

    # --- building ---------------------------------------------------------------

    @classmethod
    def build(cls, vectors, metric: str = "cosine", *, connectivity: int = CONNECTIVITY,
              expansion_add: int = EXPANSION_ADD, threads: int = 0, progress=None) -> VectorIndex:
        """Index the rows of ``vectors``.

        Parameters
        ----------
        vectors : ndarray, shape (n, d)
            float32 rows (others are converted); copied, so later changes to
            the array do not reach the index.
        metric : {"cosine", "ip"}
            What `search` ranks by.
        connectivity, expansion_add : int
            HNSW's M and efConstruction.
        threads : int
            Build threads; 0 uses all cores. With 1 the same rows always
            give the same graph (usearch seeds its level draws itself, so
            there is no seed to set); with more, the graph depends on timing.
        progress : callable, optional
            Called as ``progress(rows_done, rows_total)`` between blocks.

        Returns
        -------
        VectorIndex

        Raises
        ------
        SettingsError
            An unknown metric, empty or non-finite vectors, a bad setting.
        MissingDependencyError
            usearch is not installed.
        """
        Index = _usearch()
        metric = _check_metric(metric)
        vectors = _check_vectors(vectors)
        connectivity = _whole("connectivity", connectivity, 2, 256)
        expansion_add = _whole("expansion_add", expansion_add, 1, 1 << 16)
        threads = _whole("threads", threads, 0, 1 << 12)
        digest = vectors_digest(vectors)
        rows = _scored_rows(vectors, metric)
        # Unit rows make cosine an inner product, the cheaper of usearch's metrics.
        graph = Index(ndim=rows.shape[1], metric="ip", dtype="f32", connectivity=connectivity,
                      expansion_add=expansion_add, expansion_search=EXPANSION_SEARCH[metric])
        keys = np.arange(len(rows), dtype=np.uint64)
        for start in range(0, len(rows), ADD_BLOCK):
            stop = min(start + ADD_BLOCK, len(rows))
            # copy=False: usearch points at our rows, which the index keeps.
            _interruptible(graph.add, keys[start:stop], rows[start:stop], copy=False,
                           threads=threads)
            if progress is not None:
                progress(stop, len(rows))
        settings = {"connectivity": connectivity, "expansion_add": expansion_add}
        return cls(graph, rows, metric, digest, settings)

    # --- searching ----------------------------------------------------------------

    def search(self, queries, k: int, exclude=None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows for each query, best first, with exact scores.

        Parameters
        ----------
        queries : ndarray, shape (b, dim) or (dim,)
            Query vectors (need not be unit length for cosine).
        k : int
            Rows wanted per query.
        exclude : list of sets of int, or sparse matrix (b, rows), optional
            Rows never to return, one collection per query (a sparse
            matrix's nonzeros); the graph is asked for more candidates to
            make up for them.

        Returns
        -------
        ids : ndarray of int64, shape (b, k)
            Row numbers, best first; ties by row number. Where fewer than
            ``k`` rows can be returned (a small matrix, many exclusions, a
            zero query under cosine) the row ends with -1.
        scores : ndarray of float32, shape (b, k)
            The exact cosine or inner product of each; -inf after the end.
        """
        queries = self._check_queries(queries)
        # More than every row is every row: k is cut to the rows, as exact search does.
        k = min(_whole("k", k, 1, float("inf")), self.rows)
        banned = _exclusions(exclude, len(queries), self.rows)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        wanted = np.minimum(k, self.rows - np.array([len(b) for b in banned], dtype=np.int64))
        if self.metric == "cosine":
            norms = np.linalg.norm(queries, axis=1)
            wanted[norms == 0] = 0  # a zero query has no direction: no neighbours
            queries = queries / np.maximum(norms, 1e-30)[:, None]
        # Queries that need the same number of candidates are asked together;
        # counts round up to a power of two so a few sizes cover all queries.
        fetch = np.minimum(self.rows, 2 ** np.ceil(np.log2(
            np.maximum(k + np.array([len(b) for b in banned]), 1))).astype(np.int64))
        for size in np.unique(fetch[wanted > 0]):
            group = np.flatnonzero((fetch == size) & (wanted > 0))
            step = max(1, GATHER_FLOATS // (int(size) * self.dim))
            for start in range(0, len(group), step):
                part = group[start:start + step]
                self._search_block(queries[part], int(size), k, [banned[q] for q in part],
                                   ids, scores, part)
        # The graph walk may come back short of reachable rows (a tiny or
        # oddly shaped graph): those few queries are answered exactly.
        found = (ids >= 0).sum(axis=1)
        short = np.flatnonzero(found < wanted)
        if len(short):
            self._exact(queries[short], k, [banned[q] for q in short], ids, scores, short)
        return ids, scores

    def _search_block(self, queries, size, k, banned, ids, scores, where):
        matches = _interruptible(self._graph.search, queries, size, threads=self.threads)
        candidates = np.asarray(matches.keys, dtype=np.int64).reshape(len(queries), -1)
        # One query comes back as Matches, cut to what was found; more as
        # BatchMatches, padded to ``size`` with ``counts`` saying how many are real.
        counts = np.asarray(getattr(matches, "counts", [candidates.shape[1]]),
                            dtype=np.int64).reshape(-1, 1)
        candidates[np.arange(candidates.shape[1]) >= counts] = -1  # slots the walk left empty
        candidates.sort(axis=1)  # by row number, so top_k's ties fall as in exact search
        valid = (candidates >= 0) & ~_banned_mask(candidates, banned)
        exact = np.einsum("bd,bkd->bk", queries, self._row_vectors(np.maximum(candidates, 0)))
        exact[~valid] = -np.inf
        best = top_k(exact, k)
        kept = np.take_along_axis(valid, best, axis=1)
        ids[where, :best.shape[1]] = np.where(kept, np.take_along_axis(candidates, best, axis=1), -1)
        scores[where, :best.shape[1]] = np.where(kept, np.take_along_axis(exact, best, axis=1),
                                                 -np.inf)

    def _exact(self, queries, k, banned, ids, scores, where):
        """Exact answers for a few queries: every row scored."""
        for q, query in enumerate(queries):
            row_scores = self._rows @ query
            if self._slots is not None:
                row_scores = row_scores[self._slots]
            if len(banned[q]):
                row_scores[banned[q]] = -np.inf
            best = top_k(row_scores, k)
            best = best[np.isfinite(row_scores[best])]
            ids[where[q]] = -1
            scores[where[q]] = -np.inf
            ids[where[q], :len(best)] = best
            scores[where[q], :len(best)] = row_scores[best]

    def _row_vectors(self, ids: np.ndarray) -> np.ndarray:
        return self._rows[ids if self._slots is None else self._slots[ids]]

    def _check_queries(self, queries) -> np.ndarray:
        queries = np.asarray(queries, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise SettingsError(f"queries must have shape (n, {self.dim}), got {queries.shape}")
        if not np.isfinite(queries).all():
            raise SettingsError("a query vector holds NaN or infinite values")
        return np.ascontiguousarray(queries)

    # --- files --------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the graph to ``path`` and its description to ``path.json``,
        each atomically (the JSON last: it names the graph's checksum, so a
        crash between the two leaves a pair that `load` refuses, never one
        that it misreads)."""
        path = Path(path)
        whole = self._graph.save()  # usearch's bytes: vectors, head, graph
        rows, row_bytes = struct.unpack_from("<II", whole)
        if (rows, row_bytes) != (self.rows, 4 * self.dim):
            raise RuntimeError(f"usearch wrote a {rows} x {row_bytes} byte matrix for "
                               f"{self.rows} x {self.dim} floats")
        graph = memoryview(whole)[8 + rows * row_bytes:]
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "library": "usearch",
                "library_version": _library_version(), "byte_order": sys.byteorder,
                "metric": self.metric, "rows": self.rows, "dim": self.dim,
                **self.settings, "expansion_search": self.expansion_search,
                "bytes": len(graph), "sha256": hashlib.sha256(graph).hexdigest(),
                "vectors_sha256": self.vectors_digest}
        with atomic_write(path) as handle:
            handle.write(graph)
        with atomic_write(_meta_path(path), "w") as handle:
            json.dump(meta, handle, indent=1)
            handle.write("\n")

    @classmethod
    def load(cls, path, vectors, *, model=None, metric: str | None = None) -> VectorIndex:
        """Read an index saved by `save`, for these ``vectors``.

        Parameters
        ----------
        path : str or Path
            The graph file; its description is ``path.json``.
        vectors : ndarray, shape (n, d)
            The vectors it was built from (the model's).
        model : str, optional
            The model's path, to name in messages.
        metric : {"cosine", "ip"}, optional
            The metric the index must have (its file name's, beside a model).

        Raises
        ------
        ModelFormatError
            A missing, damaged or foreign file, or an index built from
            other vectors (the message says how to rebuild it).
        MissingDependencyError
            usearch is not installed.
        """
        Index = _usearch()
        path = Path(path)
        vectors = _check_vectors(vectors)
        refuse = _refusal(path, model)
        meta = _read_meta(_meta_path(path), refuse)
        if metric is not None and meta["metric"] != metric:
            raise refuse(f"it is {'an' if meta['metric'] == 'ip' else 'a'} {meta['metric']} "
                         f"index where {'an' if metric == 'ip' else 'a'} {metric} one belongs")
        if (meta["rows"], meta["dim"]) != vectors.shape:
            raise refuse(f"it indexes {meta['rows']} x {meta['dim']} vectors, but the model "
                         f"has {vectors.shape[0]} x {vectors.shape[1]}")
        if meta["vectors_sha256"] != vectors_digest(vectors):
            raise refuse("it was built from other vectors (the model was retrained or "
                         "replaced since)")
        buffer, graph_at, keys = _read_graph(path, meta, vectors.shape, refuse)
        # usearch expects [uint32 rows, uint32 bytes per row, the rows] first,
        # the rows in its slot order (slot i holds row keys[i]).
        buffer[:8] = np.frombuffer(struct.pack("<II", len(vectors), 4 * vectors.shape[1]), np.uint8)
        rows = buffer[8:graph_at].view(np.float32).reshape(vectors.shape)
        identity = bool((keys == np.arange(len(keys))).all())
        for start in range(0, len(rows), ADD_BLOCK):  # in blocks: no second full copy
            chosen = slice(start, start + ADD_BLOCK)
            _scored_rows(vectors[chosen] if identity else vectors[keys[chosen]], meta["metric"],
                         out=rows[chosen])
        slots = None
        if not identity:
            slots = np.empty(len(keys), dtype=np.int64)
            slots[keys] = np.arange(len(keys))
        graph = Index(ndim=rows.shape[1], metric="ip", dtype="f32",
                      connectivity=meta["connectivity"], expansion_add=meta["expansion_add"],
                      expansion_search=meta["expansion_search"])
        try:
            graph.view(buffer)
        except (RuntimeError, ValueError) as error:  # checked above: should not happen
            raise refuse(f"usearch could not read it ({error})") from None
        settings = {name: meta[name] for name in ("connectivity", "expansion_add")}
        return cls(graph, rows, meta["metric"], meta["vectors_sha256"], settings, slots, buffer)


# --- where an index lives beside a model ----------------------------------------------

def index_paths(model_path, metric: str = "cosine") -> tuple[Path, Path]:
    """The graph file and its JSON for the ``metric`` index of ``model_path``:
    ``items.w2v`` -> ``items.w2v.cosine.ann``, ``items.w2v.cosine.ann.json``."""
    metric = _check_metric(metric)
    graph = Path(f"{os.fspath(model_path)}.{metric}.ann")
    return graph, _meta_path(graph)


def save_index_beside(model_path, index: VectorIndex) -> Path:
    """Save ``index`` beside the model at ``model_path``; returns the graph's path."""
    graph, _ = index_paths(model_path, index.metric)
    index.save(graph)
    return graph


def load_index_beside(model_path, vectors, metric: str = "cosine") -> VectorIndex | None:
    """The ``metric`` index saved beside ``model_path``, or None if there is none.

    An index that is there but cannot be used raises ``ModelFormatError``
    (damaged, foreign, or built from other vectors: the message says to
    rebuild it with ``w2v index MODEL`` or delete it). Without usearch
    installed, a warning says so and None is returned: queries stay exact.
    """
    graph, meta = index_paths(model_path, metric)
    if not (os.path.lexists(graph) or os.path.lexists(meta)):
        return None
    try:
        _usearch()
    except MissingDependencyError as error:
        warnings.warn(f"{graph} is not used: {error}; queries are exact", stacklevel=2)
        return None
    return VectorIndex.load(graph, vectors, model=model_path, metric=_check_metric(metric))


def usable_index_beside(model_path, vectors, metric: str = "cosine") -> VectorIndex | None:
    """`load_index_beside`, but an index that cannot be used is not used: a
    warning says why and how to rebuild it, and None is returned, so queries
    are exact. What loading a model calls: the index is only a cache of the
    model's search, and a bad one must not stop the model from answering
    (least of all when it is too small for queries to use an index at all)."""
    try:
        return load_index_beside(model_path, vectors, metric)
    except ModelFormatError as error:
        warnings.warn(f"{error}; until then queries are exact", stacklevel=2)
        return None


def drop_stale_indexes(model_path, matrices: dict) -> list[Path]:
    """Delete the indexes beside ``model_path`` that were not built from the
    matrices now saved there (``{"cosine": W_in, "ip": W_out}``); returns
    what was deleted.

    A model saved over an older one would otherwise leave the older one's
    index beside it, which loading refuses (built from other vectors): an
    index is a cache of its model, so it goes when its vectors do. One built
    from the same vectors (a model loaded and saved again) is kept.
    """
    dropped = []
    for metric, vectors in matrices.items():
        graph, meta = index_paths(model_path, metric)
        if not (os.path.lexists(graph) or os.path.lexists(meta)):
            continue
        if vectors is not None and _digest_on_record(meta) == vectors_digest(vectors):
            continue
        for path in (meta, graph):  # the description first: a graph alone is never used
            if not os.path.lexists(path):
                continue
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    raise IsADirectoryError(errno.EISDIR, "a folder, not an index file")
                os.unlink(path)
                dropped.append(path)
            except OSError as error:
                # The model is saved; what is left beside it is refused when loaded.
                warnings.warn(f"{path} is left from other vectors and could not be deleted "
                              f"({error.strerror or error}); delete it", stacklevel=3)
    return dropped


def _digest_on_record(meta: Path) -> str | None:
    """The vectors' digest an index's description names, None if unreadable."""
    try:
        return _read_meta(meta, lambda reason: ModelFormatError(reason))["vectors_sha256"]
    except (ModelFormatError, KeyError, TypeError):
        return None


def vectors_digest(vectors: np.ndarray) -> str:
    """SHA-256 of a float32 matrix's shape and bytes: what an index was built from."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    digest = hashlib.sha256(f"float32 {vectors.shape[0]} {vectors.shape[1]}\n".encode())
    digest.update(memoryview(vectors).cast("B"))
    return digest.hexdigest()


def _interruptible(call, *args, **kwargs):
    """usearch notices Ctrl-C itself and stops with a RuntimeError; give it
    back as the KeyboardInterrupt it was, so callers (the CLI) treat it as one."""
    try:
        return call(*args, **kwargs)
    except RuntimeError as error:
        if "terminated" in str(error).lower():
            raise KeyboardInterrupt from None
        raise


# --- checks ---------------------------------------------------------------------------------

def _check_metric(metric) -> str:
    if metric not in METRICS:
        raise SettingsError(f"metric must be 'cosine' or 'ip', not {metric!r}")
    return metric


def _whole(name, value, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _check_vectors(vectors) -> np.ndarray:
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or 0 in vectors.shape:
        raise SettingsError(f"vectors must be a non-empty (rows, dim) matrix, got shape "
                            f"{vectors.shape}")
    if len(vectors) >= 2**32 - 1:  # usearch's row slots are uint32
        raise SettingsError(f"at most {2**32 - 2} rows can be indexed, not {len(vectors)}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        raise SettingsError(f"vector row {int(bad.argmax())} holds NaN or infinite values: "
                            "it cannot be indexed")
    return vectors


def _scored_rows(vectors: np.ndarray, metric: str, out: np.ndarray | None = None) -> np.ndarray:
    """The index's own copy of the rows (into ``out`` if given), as scored:
    unit length for cosine, as KeyedVectors.unit_vectors (zero rows stay zero)."""
    out = np.empty_like(vectors) if out is None else out
    if metric == "ip":
        out[...] = vectors
        return out
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]
    return np.divide(vectors, np.maximum(norms, np.finfo(np.float32).tiny), out=out)


def _exclusions(exclude, queries: int, rows: int) -> list[np.ndarray]:
    """One sorted array of distinct row numbers per query."""
    if exclude is None:
        return [np.empty(0, dtype=np.int64)] * queries
    if hasattr(exclude, "tocsr"):  # a scipy sparse matrix
        matrix = exclude.tocsr()
        if matrix.shape != (queries, rows):
            raise SettingsError(f"exclude must be a ({queries}, {rows}) matrix, got {matrix.shape}")
        matrix.eliminate_zeros()
        return [np.unique(matrix.indices[matrix.indptr[q]:matrix.indptr[q + 1]]).astype(np.int64)
                for q in range(queries)]
    exclude = list(exclude)
    if len(exclude) != queries:
        raise SettingsError(f"{queries} queries but {len(exclude)} exclusion sets")
    result = []
    for banned in exclude:
        banned = np.asarray(banned if isinstance(banned, np.ndarray) else list(banned))
        if banned.size and banned.dtype.kind not in "iu":
            raise SettingsError(f"exclusions must be row numbers, got {banned.dtype} values")
        banned = np.unique(banned.astype(np.int64)).reshape(-1)
        if len(banned) and (banned[0] < 0 or banned[-1] >= rows):
            bad = banned[0] if banned[0] < 0 else banned[-1]
            raise SettingsError(f"cannot exclude row {bad}: rows are numbered 0 to {rows - 1}")
        result.append(banned)
    return result


def _banned_mask(candidates: np.ndarray, banned: list[np.ndarray]) -> np.ndarray:
    """Which candidates (one row per query) are excluded for their query."""
    if not any(len(b) for b in banned):
        return np.zeros(candidates.shape, dtype=bool)
    # (query, row) pairs as single numbers, so one isin call covers the block.
    stride = int(candidates.max(initial=0)) + 1
    for b in banned:
        if len(b):
            stride = max(stride, int(b[-1]) + 1)
    codes = np.arange(len(candidates), dtype=np.int64)[:, None] * stride + candidates
    banned_codes = np.concatenate([q * stride + b for q, b in enumerate(banned)])
    return np.isin(codes, banned_codes) & (candidates >= 0)


def _meta_path(graph: Path) -> Path:
    return Path(f"{os.fspath(graph)}.json")


def _refusal(path: Path, model):
    """A maker of one-line errors that say how to get a good index back."""
    rebuild = f"w2v index {model}" if model is not None else "VectorIndex.build and save"

    def refuse(problem: str) -> ModelFormatError:
        return ModelFormatError(f"the index {path} cannot be used: {problem}; rebuild it "
                                f"({rebuild}) or delete it and its .json")
    return refuse


_META_FIELDS = {"format": str, "version": int, "library": str, "library_version": str,
                "byte_order": str, "metric": str, "rows": int, "dim": int, "connectivity": int,
                "expansion_add": int, "expansion_search": int, "bytes": int, "sha256": str,
                "vectors_sha256": str}


def _open_regular(path: Path):
    """Open a regular file for reading. A FIFO would block ``open`` until a
    writer came, and a device never end: both are refused (OSError)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_meta(path: Path, refuse) -> dict:
    from .modelfile import _parse_json  # the model file's strict JSON reader
    try:
        with _open_regular(path) as handle:
            data = handle.read(MAX_META_BYTES + 1)
    except FileNotFoundError:
        raise refuse(f"its description {path.name} is missing") from None
    except OSError as error:
        raise refuse(f"{path.name} cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_META_BYTES:
        raise refuse(f"{path.name} is larger than {MAX_META_BYTES} bytes")
    try:
        meta = _parse_json(data, path.name)
    except ModelFormatError as error:
        raise refuse(str(error)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise refuse(f"{path.name} does not describe a w2v index")
    if meta.get("version") != FORMAT_VERSION:
        raise refuse(f"{path.name} has format version {meta.get('version')!r}, this w2v reads "
                     f"version {FORMAT_VERSION}")
    for name, kind in _META_FIELDS.items():
        value = meta.get(name)
        if type(value) is not kind or (kind is int and value < 0):
            raise refuse(f"{path.name} has no valid {name!r}")
    if meta["metric"] not in METRICS:
        raise refuse(f"{path.name} names an unknown metric {meta['metric']!r}")
    if meta["byte_order"] != sys.byteorder:
        raise refuse(f"it was written on a {meta['byte_order']}-endian machine")
    if not (2 <= meta["connectivity"] <= 256 and 1 <= meta["expansion_add"] <= 1 << 16
            and 1 <= meta["expansion_search"] <= 1 << 20):
        raise refuse(f"{path.name} has settings out of range")
    return meta


def _read_graph(path: Path, meta: dict, shape, refuse) -> tuple[np.ndarray, int, np.ndarray]:
    """The graph file, checked, in a buffer with room for the rows before it
    (usearch's layout); where the graph starts in it; the row in each slot."""
    rows, dim = shape
    graph_at = 8 + rows * dim * 4
    try:
        handle = _open_regular(path)
    except OSError as error:
        raise refuse(f"it cannot be read ({error.strerror or error})") from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size != meta["bytes"]:
            raise refuse(f"it holds {size} bytes, its description says {meta['bytes']} "
                         "(truncated or replaced)")
        start = handle.read(_HEAD_BYTES + _GRAPH_HEADER.size + 2 * rows)
        expected = _check_head(start, meta, rows, dim, refuse)
        if size != expected:
            raise refuse(f"it holds {size} bytes, its levels need {expected}")
        buffer = np.empty(graph_at + size, dtype=np.uint8)
        buffer[graph_at:graph_at + len(start)] = np.frombuffer(start, np.uint8)
        rest = memoryview(buffer)[graph_at + len(start):]
        while len(rest):
            read = handle.readinto(rest)
            if not read:
                raise refuse("it ended early")
            rest = rest[read:]
        if handle.read(1):
            raise refuse("it grew while it was read")
    graph = buffer[graph_at:]
    if hashlib.sha256(memoryview(graph)).hexdigest() != meta["sha256"]:
        raise refuse("its checksum does not match its description (damaged)")
    connectivity = meta["connectivity"]
    levels = graph[_HEAD_BYTES + _GRAPH_HEADER.size:][:2 * rows].view("<i2")
    keys = np.empty(rows, dtype=np.int64)
    try:
        problem, node = _graph_problem(graph[_HEAD_BYTES:], levels, rows, connectivity,
                                       2 * connectivity, keys)
    except IndexError:  # the checks above should make this impossible
        raise refuse("a record points outside the file") from None
    if problem:
        raise refuse(f"row record {node} is inconsistent ({_PROBLEMS[problem]})")
    return buffer, graph_at, keys


def _check_head(start: bytes, meta: dict, rows: int, dim: int, refuse) -> int:
    """Check usearch's head, the graph header and the levels against what the
    model and the description say; return the file size they imply."""
    if len(start) < _HEAD_BYTES + _GRAPH_HEADER.size + 2 * rows:
        raise refuse("it is truncated")
    head = start[:_HEAD_BYTES]
    major, _minor, _patch = struct.unpack_from("<3H", head, 7)
    kinds = tuple(head[13:17])
    present, deleted, dimensions = struct.unpack_from("<3Q", head, 17)
    if head[:7] != _MAGIC:
        raise refuse("it is not a usearch graph")
    if major != _LIBRARY_MAJOR:
        raise refuse(f"it was written by usearch {major}.x, this w2v reads {_LIBRARY_MAJOR}.x")
    if kinds != (_KIND_IP, _KIND_F32, _KIND_U64, _KIND_U32) or head[41] != 0:
        raise refuse("its head names other kinds of metric, scalar or key")
    if (present, deleted, dimensions) != (rows, 0, dim):
        raise refuse(f"its head says {present} rows ({deleted} deleted) of dim {dimensions}, "
                     f"the model has {rows} of dim {dim}")
    size, connectivity, base, max_level, entry = _GRAPH_HEADER.unpack_from(start, _HEAD_BYTES)
    if (size, connectivity, base) != (rows, meta["connectivity"], 2 * meta["connectivity"]):
        raise refuse(f"its graph header says {size} rows and {connectivity}/{base} edges a row")
    levels = np.frombuffer(start, dtype="<i2", count=rows, offset=_HEAD_BYTES + _GRAPH_HEADER.size)
    top = int(levels.max())
    if (levels.min() < 0 or top > _MAX_LEVEL or max_level != top or entry >= rows
            or levels[entry] != top):
        raise refuse("its levels or entry row are inconsistent")
    level_bytes = 4 + 4 * connectivity
    base_bytes = _NODE_HEAD_BYTES + 4 + 4 * base
    records = rows * base_bytes + int(levels.sum(dtype=np.int64)) * level_bytes
    if records > _SIZE_SLACK * rows * base_bytes + (1 << 20):
        raise refuse("it has far more upper-level rows than an HNSW graph has")
    return _HEAD_BYTES + _GRAPH_HEADER.size + 2 * rows + records


_PROBLEMS = {1: "a record runs past the end", 2: "its key is not a row number",
             3: "its key repeats another row's", 4: "its level differs from the level table",
             5: "more neighbours than a level holds", 6: "a neighbour is not a row, or not "
             "on that level"}


# Both kernels check their indices (boundscheck): a mistake in them must be
# an IndexError, never a read outside the file.
@njit(cache=True, nogil=True, boundscheck=True)
def _read_uint(data, at, width):
    """A little-endian unsigned integer of ``width`` bytes (records are not aligned)."""
    value = np.uint64(0)
    for i in range(width):
        value |= np.uint64(data[at + i]) << np.uint64(8 * i)
    return value


@njit(cache=True, nogil=True, boundscheck=True)
def _graph_problem(graph, levels, rows, connectivity, base, keys):
    """(0, -1) when every row record is sound, else (problem, record): each
    record must lie inside ``graph``, hold a distinct key below ``rows`` and
    the level of the level table, and per level at most that level's capacity
    of neighbours, each a slot whose record is on that level too (the search
    follows those edges without checking them). Fills ``keys`` (the row
    number in each slot)."""
    seen = np.zeros(rows, dtype=np.bool_)
    limit = np.uint64(rows)  # compared as uint64: a huge key must not wrap negative
    at = 40 + 2 * rows
    end = len(graph)
    for node in range(rows):
        level = levels[node]
        if at + 10 + (4 + 4 * base) + level * (4 + 4 * connectivity) > end:
            return 1, node
        key = _read_uint(graph, at, 8)
        if key >= limit:
            return 2, node
        if seen[key]:
            return 3, node
        seen[key] = True
        keys[node] = key
        if _read_uint(graph, at + 8, 2) != np.uint64(level):
            return 4, node
        at += 10
        for on in range(level + 1):
            capacity = base if on == 0 else connectivity
            count = _read_uint(graph, at, 4)
            if count > np.uint64(capacity):
                return 5, node
            for j in range(count):
                neighbour = _read_uint(graph, at + 4 + 4 * j, 4)
                if neighbour >= limit or levels[neighbour] < on:
                    return 6, node
            at += 4 + 4 * capacity
    if at != end:
        return 1, rows - 1
    return 0, -1
