"""Write gensim-made fixtures for tests/test_formats.py (CI has no gensim):
a small gensim model's vectors in word2vec text and binary format, and
gensim's own answers to a few queries on them.

    python tests/data/make_gensim_files.py      # needs gensim; rewrites the files
"""

import json
from pathlib import Path

import numpy as np
from gensim.models import Word2Vec

HERE = Path(__file__).resolve().parent
QUERIES = ["a0", "b3", "café", "日本"]


def corpus():
    # Two topics, as in tests/conftest.py, with non-ASCII words in each.
    rng = np.random.default_rng(0)
    topics = [[f"a{i}" for i in range(8)] + ["café", "naïve"],
              [f"b{i}" for i in range(8)] + ["日本", "zürich"]]
    return [list(rng.choice(topics[k % 2], size=8)) for k in range(600)]


def main():
    model = Word2Vec(corpus(), vector_size=16, window=3, min_count=1, sg=1, epochs=5,
                     workers=1, seed=1)
    kv = model.wv
    kv.save_word2vec_format(str(HERE / "gensim.vec"), binary=False)
    kv.save_word2vec_format(str(HERE / "gensim.bin"), binary=True)
    answers = {
        "most_similar": {w: kv.most_similar(w, topn=5) for w in QUERIES},
        "analogy": kv.most_similar(positive=["a1", "b2"], negative=["a2"], topn=3),
        "cosmul": kv.most_similar_cosmul(positive=["a1", "b2"], negative=["a2"], topn=3),
    }
    (HERE / "gensim-answers.json").write_text(json.dumps(answers, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
