"""One w2v run on the full shared corpus, 2 workers, scored: for checking the
learning-rate schedule and CBOW's context update (results/cbow-1epoch.md).

    python benchmarks/schedule_check.py cbow 1                 # defaults
    python benchmarks/schedule_check.py cbow 1 0.05 0.025      # alpha, min_alpha
    python benchmarks/schedule_check.py cbow 2 0.05 0.0125 2   # ... and a seed
    python benchmarks/schedule_check.py cbow-mean 1            # context rows get error / count

Needs the plain corpus in benchmarks/work/ (benchmarks/compare.py makes it).
"cbow-mean" swaps in a variant of the CBOW kernel whose context rows get the
error divided by the context size (the exact gradient of the mean) instead of
the whole error (word2vec C's update, which gensim and fastText share).
"""
import inspect
import sys
import time

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent.parent))
import w2v
from w2v import kernels
from numba import njit

variant = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
alpha = float(sys.argv[3]) if len(sys.argv) > 3 else None
min_alpha = float(sys.argv[4]) if len(sys.argv) > 4 else None
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
if variant.endswith("mean"):
    src = inspect.getsource(kernels._train_cbow.py_func)
    src = "\n".join(l for l in src.splitlines() if not l.startswith("@"))
    old = "                        row[x] -= eta * dv[x]  # word2vec's convention (eq. 21)"
    assert old in src
    src = src.replace("            loss += _negative_sampling_step(h, W_out, hot_rows, kept[i], noise[0], eta, dv)",
                      "            loss += _negative_sampling_step(h, W_out, hot_rows, kept[i], noise[0], eta, dv)\n            scale = np.float32(1.0) / np.float32(count)")
    src = src.replace(old, "                        row[x] -= eta * scale * dv[x]")
    ns = dict(vars(kernels))
    exec(src, ns)
    kernels._train_cbow = njit(nogil=True)(ns["_train_cbow"])
path = str(__import__("pathlib").Path(__file__).resolve().parent / "work" / "corpus-en.sentences.txt")
t = time.perf_counter()
m = w2v.Word2Vec(sg=variant.startswith("sg"), dim=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=epochs, workers=2, seed=seed, **({"alpha": alpha} if alpha else {}), **({"min_alpha": min_alpha} if min_alpha else {}))
m.train(path, progress=None)
secs = time.perf_counter() - t
kv = m.wv
an = kv.evaluate_word_analogies(restrict_vocab=30_000).accuracy * 100
ws = kv.evaluate_word_pairs().spearman
print(f"{variant} epochs {epochs} seed {seed} alpha {m.start_alpha}-{m.end_alpha}: analogy {an:.2f} ws {ws:.4f} {secs:.0f}s", flush=True)
