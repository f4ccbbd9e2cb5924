"""The approximate index (w2v.ann.VectorIndex) against exact search, on a
synthetic catalog with neighbour structure. Writes a Markdown report.

    python benchmarks/ann.py --out benchmarks/results/ann.md
    python benchmarks/ann.py --rows 200000 --sizes 10000,100000 --sections main,crossover

Sections (``--sections``, comma-separated):

- ``main``: the full catalog (default 2,000,000 x 64): build time, file size,
  save and load time, recall@10 and queries/s against exact search;
- ``crossover``: one query at a time (as ``most_similar`` asks), exact
  against the index, on the first N rows for each of ``--sizes``: where the
  index starts to pay, which sets ``w2v.ann.INDEX_THRESHOLD``;
- ``ip``: inner products over rows of unequal length (an item model's output
  vectors) against a mean of a few rows (a user's history), ``--ip-rows`` rows;
- ``libraries``: usearch, hnswlib and pynndescent on ``--library-rows`` rows
  (the peers need ``pip install hnswlib pynndescent``; a missing one is skipped).

The catalog is a mixture of Gaussian clusters, not plain noise, which has no
neighbour structure: cluster weights are log-normal (a few big, many small
clusters), centres are standard normal, each cluster's spread is log-uniform
in [0.2, 1.0] of the centres' scale, and the noise variance falls off over
the dimensions as 1/i (trained vectors concentrate their variance in few
directions). Queries are further draws from the same mixture, not rows of
the catalog. Exact search is numpy: unit rows, a matrix product a block of
queries at a time (or a matrix-vector product per query), then w2v.topk.
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from w2v.ann import EXPANSION_SEARCH, INDEX_THRESHOLD, VectorIndex, index_paths
from w2v.topk import top_k

K = 10


def mixture(rows, dim, clusters, seed):
    """``rows`` draws from the cluster mixture described above, float32."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 1.0, clusters)
    label = rng.choice(clusters, size=rows, p=weights / weights.sum())
    centres = (rng.standard_normal((clusters, dim)) / np.sqrt(dim)).astype(np.float32)
    spread = np.exp(rng.uniform(np.log(0.2), np.log(1.0), clusters)).astype(np.float32)
    spectrum = np.arange(1, dim + 1, dtype=np.float32) ** -0.5
    spectrum *= np.sqrt(dim / (spectrum ** 2).sum()) / np.sqrt(dim)
    out = np.empty((rows, dim), dtype=np.float32)
    for start in range(0, rows, 1 << 18):
        part = label[start:start + (1 << 18)]
        noise = rng.standard_normal((len(part), dim), dtype=np.float32) * spectrum
        out[start:start + len(part)] = centres[part] + spread[part, None] * noise
    return out


def unit(rows):
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-30)


def exact_batch(rows, queries, k=K):
    """Exact top k of a batch: blocks of queries against all rows (256 MB of scores a block)."""
    ids = np.empty((len(queries), k), dtype=np.int64)
    block = max(1, (1 << 26) // len(rows))
    for start in range(0, len(queries), block):
        ids[start:start + block] = top_k(queries[start:start + block] @ rows.T, k)
    return ids


def recall(found, truth):
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth)]))


def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def fastest(function, *args, repeats=3, **kwargs):
    """The result and the shortest wall time of ``repeats`` calls: on a shared
    machine the fastest run is the one least disturbed by other jobs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - started)
    return result, best


def per_query_ms(search, queries):
    """Median milliseconds of one query alone, on one thread (BLAS too: with
    its threads a matrix-vector product of 10,000 rows took 20 ms here, as
    they waited for cores that other jobs held)."""
    times = []
    with threadpool_limits(1):
        search(queries[0])  # warm up
        for query in queries:
            started = time.perf_counter()
            search(query)
            times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


# --- sections ---------------------------------------------------------------------------

def main_section(args, catalog, queries, report):
    unit_rows, unit_queries = unit(catalog), unit(queries)
    truth, exact_s = fastest(exact_batch, unit_rows, unit_queries)
    before = rss_mb()
    index, build_s, build_cpu = timed(VectorIndex.build, catalog, "cosine", threads=args.threads)
    index_mb = rss_mb() - before
    (ids, _), search_s = fastest(index.search, queries, K)
    one_exact = per_query_ms(lambda q: top_k(unit_rows @ q, K), unit_queries[:200])
    index.threads = 1
    one_index = per_query_ms(lambda q: index.search(q, K), queries[:200])
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        model = Path(scratch) / "catalog.w2v"
        graph, _ = index_paths(model)
        _, save_s, _ = timed(index.save, graph)
        size_mb = graph.stat().st_size / 2**20
        loaded, load_s, _ = timed(VectorIndex.load, graph, catalog)
        (loaded_ids, _), _, _ = timed(loaded.search, queries, K)
    sweep = []
    for ef in (16, 32, EXPANSION_SEARCH["cosine"], 128, 256):
        index.expansion_search, index.threads = ef, args.threads
        (found, _), seconds = fastest(index.search, queries, K)
        sweep.append((ef, recall(found, truth), len(queries) / seconds))
    n, d = catalog.shape
    report.append(f"""## {n:,} x {d} catalog, cosine, {len(queries):,} queries, k = {K}

| | exact (numpy) | index (defaults) |
|---|---|---|
| recall@10 against exact | 1 | **{recall(ids, truth):.4f}** (after save and load: {recall(loaded_ids, truth):.4f}) |
| queries/s, batch of {len(queries):,}, {args.threads} threads (fastest of 3) | {len(queries) / exact_s:,.0f} | **{len(queries) / search_s:,.0f}** ({exact_s / search_s:,.0f}x) |
| one query alone, median of 200, 1 thread | {one_exact:.2f} ms | **{one_index:.3f} ms** ({one_exact / one_index:,.0f}x) |
| build | | {build_s:,.0f} s wall, {build_cpu:,.0f} s CPU, {args.threads} threads |
| memory the index adds (RSS growth over the build) | | {index_mb:,.0f} MB (its own copy of the unit rows is {n * d * 4 / 2**20:,.0f} MB) |
| file beside the model (graph only) | | {size_mb:,.0f} MB; save {save_s:.1f} s, load (checksum, vectors digest, checks) {load_s:.1f} s |

Recall and speed against the search breadth (`expansion_search`, HNSW's ef;
default {EXPANSION_SEARCH['cosine']}), batch of {len(queries):,}, {args.threads} threads, fastest of 3:

| expansion_search | recall@10 | queries/s |
|---|---|---|
""" + "".join(f"| {ef} | {r:.4f} | {qps:,.0f} |\n" for ef, r, qps in sweep))
    return index


def crossover_section(args, catalog, queries, report, full_index=None):
    lines = []
    for size in args.sizes:
        rows = catalog[:size]
        unit_rows, unit_queries = unit(rows), unit(queries)
        truth = exact_batch(unit_rows, unit_queries[:200])
        if full_index is not None and size == len(catalog):
            index, build_s = full_index, float("nan")
        else:
            index, build_s, _ = timed(VectorIndex.build, rows, "cosine", threads=args.threads)
        index.threads = 1
        found, _ = index.search(queries[:200], K)
        one_exact = per_query_ms(lambda q: top_k(unit_rows @ q, K), unit_queries[:200])
        one_index = per_query_ms(lambda q: index.search(q, K), queries[:200])
        lines.append(f"| {size:,} | {one_exact:.3f} | {one_index:.3f} | {one_exact / one_index:.1f}x "
                     f"| {recall(found, truth):.4f} | {build_s:,.1f} |\n")
        print(lines[-1], end="", flush=True)
        del index
    report.append(f"""## Crossover: one query at a time, exact against the index

The first N rows of the catalog; median of 200 queries, each alone (as
`most_similar` asks), all on 1 thread (BLAS too); exact is
`top_k(unit_rows @ q)`, the index `VectorIndex.search(q)` (with its exact
rescoring). The
threshold in w2v/ann.py (`INDEX_THRESHOLD` = {INDEX_THRESHOLD:,}) is where
the index is used by default.

| rows | exact, ms | index, ms | speed-up | index recall@10 | build, s |
|---|---|---|---|---|---|
""" + "".join(lines))


def ip_section(args, report):
    rng = np.random.default_rng(11)
    rows = mixture(args.ip_rows, args.dim, max(100, args.ip_rows // 500), seed=3)
    rows *= rng.lognormal(0.0, 0.5, (len(rows), 1)).astype(np.float32)  # unequal lengths
    queries = rows[rng.integers(len(rows), size=(args.queries, 5))].mean(axis=1)
    truth, exact_s = fastest(exact_batch, rows, queries)
    index, build_s, build_cpu = timed(VectorIndex.build, rows, "ip", threads=args.threads)
    sweep = []
    for ef in (64, EXPANSION_SEARCH["ip"], 256):
        index.expansion_search = ef
        (found, _), seconds = fastest(index.search, queries, K)
        sweep.append(f"| {ef}{' (default)' if ef == EXPANSION_SEARCH['ip'] else ''} | "
                     f"{recall(found, truth):.4f} | {len(queries) / seconds:,.0f} |\n")
    report.append(f"""## Inner products (recommendations): {len(rows):,} x {args.dim}

The same kind of mixture with each row scaled by a log-normal length (sigma
0.5), as item output vectors are; each query is the mean of 5 random rows.
Exact: {len(queries) / exact_s:,.0f} queries/s (batch, fastest of 3). Build: {build_s:,.0f} s wall, {build_cpu:,.0f} s CPU.

| expansion_search | recall@10 | queries/s (batch, {args.threads} threads) |
|---|---|---|
""" + "".join(sweep))


def libraries_section(args, catalog, queries, report):
    rows = np.ascontiguousarray(unit(catalog[:args.library_rows]))
    unit_queries = np.ascontiguousarray(unit(queries))
    truth = exact_batch(rows, unit_queries)
    lines = []

    def row(name, build_s, search_s, found, saved_as, size_mb):
        lines.append(f"| {name} | {build_s:,.0f} | {recall(found, truth):.4f} | "
                     f"{len(queries) / search_s:,.0f} | {size_mb:,.0f} | {saved_as} |\n")
        print(lines[-1], end="", flush=True)

    index, build_s, _ = timed(VectorIndex.build, rows, "cosine", threads=args.threads)
    index.threads = 1
    (found, _), search_s = fastest(index.search, unit_queries, K)
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        index.save(Path(scratch) / "a.ann")
        size = (Path(scratch) / "a.ann").stat().st_size / 2**20
    row("usearch (w2v.ann, with exact rescoring)", build_s, search_s, found,
        "its own binary layout, checked field by field before loading (w2v.ann)", size)
    try:
        import hnswlib
        graph = hnswlib.Index(space="ip", dim=rows.shape[1])
        graph.init_index(max_elements=len(rows), M=16, ef_construction=128, random_seed=1)
        graph.set_num_threads(args.threads)
        _, build_s, _ = timed(graph.add_items, rows, np.arange(len(rows)))
        graph.set_ef(EXPANSION_SEARCH["cosine"])
        graph.set_num_threads(1)
        (found, _), search_s = fastest(graph.knn_query, unit_queries, k=K)
        with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
            graph.save_index(os.path.join(scratch, "h.bin"))
            size = os.path.getsize(os.path.join(scratch, "h.bin")) / 2**20
        row(f"hnswlib {getattr(hnswlib, '__version__', '')}", build_s, search_s, found,
            "its own binary layout (vectors inside); no wheel on PyPI: installs with a C++ compiler",
            size)
    except ImportError:
        lines.append("| hnswlib | not installed | | | | |\n")
    try:
        import pickle

        import pynndescent
        # Its kernels compile at first use (minutes here): warm up on a small set.
        _, compile_s, _ = timed(lambda: pynndescent.NNDescent(rows[:2000], metric="dot",
                                                            n_neighbors=30).query(rows[:2], k=K))
        graph, build_s, _ = timed(pynndescent.NNDescent, rows, metric="dot", n_neighbors=30,
                                  random_state=1, n_jobs=args.threads)
        _, prepare_s, _ = timed(graph.prepare)
        graph.query(unit_queries[:2], k=K)
        (found, _), search_s = fastest(graph.query, unit_queries, k=K)
        size = len(pickle.dumps(graph)) / 2**20
        row(f"pynndescent {pynndescent.__version__}", build_s + prepare_s, search_s, found,
            f"pickle only (loading runs code: refused for w2v); compiling its kernels "
            f"first took {compile_s:,.0f} s", size)
    except ImportError:
        lines.append("| pynndescent | not installed | | | | |\n")
    report.append(f"""## Libraries: {len(rows):,} x {rows.shape[1]} unit rows, cosine

Defaults where the library has them (usearch/hnswlib: M 16, efConstruction
128, ef {EXPANSION_SEARCH['cosine']}; pynndescent: 30 neighbours), build with
{args.threads} threads, {len(queries):,} queries on 1 thread (fastest of 3).
pynndescent's build includes `prepare()`; its kernels are compiled before timing.

| library | build, s | recall@10 | queries/s | file, MB | saved as |
|---|---|---|---|---|---|
""" + "".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--sizes", default="10000,100000,200000,1000000,2000000")
    parser.add_argument("--ip-rows", type=int, default=200_000)
    parser.add_argument("--library-rows", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sections", default="main,crossover,ip,libraries")
    parser.add_argument("--scratch", default=None, help="folder for the saved index")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if int(s) <= args.rows]
    sections = set(args.sections.split(","))
    import usearch
    started, load = time.perf_counter(), os.getloadavg()
    report = [f"""# Approximate nearest neighbours: w2v.ann against exact search

Command: `python {' '.join(sys.argv)}`

Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python
{platform.python_version()}, numpy {np.__version__}, usearch {usearch.__version__}. The machine
was shared with other jobs: load average {load[0]:.1f} at the start (on {os.cpu_count()} cores),
so absolute times are pessimistic; ratios were measured in the same run.

Catalog: {args.rows:,} x {args.dim} from a mixture of {args.clusters:,} Gaussian clusters (see the
docstring of benchmarks/ann.py); {args.queries:,} queries from the same mixture, not in the catalog.
"""]
    data = mixture(args.rows + args.queries, args.dim, args.clusters, seed=1)
    catalog, queries = data[:args.rows], np.ascontiguousarray(data[args.rows:])
    full_index = None
    if "main" in sections:
        full_index = main_section(args, catalog, queries, report)
        print(report[-1], flush=True)
    if "crossover" in sections:
        crossover_section(args, catalog, queries, report, full_index)
    full_index = None
    if "ip" in sections:
        ip_section(args, report)
        print(report[-1], flush=True)
    if "libraries" in sections:
        libraries_section(args, catalog, queries, report)
    report.append(f"\nPeak RSS of the whole run: {peak_rss_mb():,.0f} MB (the catalog alone is "
                  f"{catalog.nbytes / 2**20:,.0f} MB, its unit rows as much again). Total time "
                  f"{(time.perf_counter() - started) / 60:.0f} min; load average at the end "
                  f"{os.getloadavg()[0]:.1f}.\n")
    text = "\n".join(report)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
