"""Analogy and word-pair evaluators: the protocol (exclusions, restrict_vocab,
case folding, skipped questions), file parsing, the bundled data, and
agreement with gensim's evaluators where gensim is installed."""

import hashlib
import re

import numpy as np
import peers
import pytest
from scipy import stats

from w2v import KeyedVectors, W2VError
from w2v.evaluate import (DATA, GOOGLE_ANALOGIES, WORDSIM353, evaluate_word_analogies,
                          evaluate_word_pairs, is_syntactic, read_analogies, read_word_pairs)


def relational_vectors(n=40, dim=24, noise=0.55, seed=0):
    """Countries and capitals, nouns and plurals: each pair differs by a
    shared offset plus noise, so 3CosAdd answers some questions and misses
    others. Returns the vectors and an analogy file's text."""
    rng = np.random.default_rng(seed)
    words, vectors = [], []
    for names, offset in ((("country", "capital"), rng.standard_normal(dim)),
                          (("noun", "plural"), rng.standard_normal(dim))):
        for i in range(n):
            base = rng.standard_normal(dim)
            for name, shift in zip(names, (0, 1)):
                words.append(f"{name}{i}")
                vectors.append(base + shift * offset + noise * rng.standard_normal(dim))
    # Unrelated words, some of them ranked beyond restrict_vocab below.
    words += [f"other{i}" for i in range(60)]
    vectors += list(rng.standard_normal((60, dim)))
    order = rng.permutation(len(words))  # frequency order mixes everything
    words, vectors = [words[i] for i in order], np.array(vectors, dtype=np.float32)[order]

    lines = []
    for section, (x, y) in (("capital-world", ("country", "capital")),
                            ("gram8-plural", ("noun", "plural"))):
        lines.append(f": {section}")
        for i in range(n):
            for j in range(n):
                if i != j:
                    lines.append(f"{x.title()}{i} {y.title()}{i} {x}{j} {y}{j}")
    lines.append("unknown capital0 country1 capital1")
    return KeyedVectors(words, vectors), "\n".join(lines) + "\n"


@pytest.fixture
def relational(tmp_path):
    kv, text = relational_vectors()
    path = tmp_path / "questions.txt"
    path.write_text(text)
    return kv, path


def reference_accuracy(kv, path, restrict_vocab, method):
    """One most_similar / most_similar_cosmul call per question: slow and plain."""
    allowed = set(kv.index_to_key[:restrict_vocab])
    correct = asked = 0
    for _, questions in read_analogies(path):
        for question in questions:
            a, b, c, d = (w.lower() for w in question)
            if not {a, b, c, d} <= allowed:
                continue
            asked += 1
            answer = kv.analogy(a, b, c, topn=1, method=method, restrict_vocab=restrict_vocab)
            correct += answer[0][0] == d
    return correct, asked


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
@pytest.mark.parametrize("restrict_vocab", [1000, 150])
def test_analogies_match_one_query_per_question(relational, method, restrict_vocab):
    kv, path = relational
    result = evaluate_word_analogies(kv, path, restrict_vocab=restrict_vocab, method=method)
    assert (result.correct, result.asked) == reference_accuracy(kv, path, restrict_vocab, method)
    assert 0.2 < result.accuracy < 0.99  # the test set discriminates
    assert result.asked + result.skipped == 2 * 40 * 39 + 1
    if restrict_vocab == 150:
        assert result.skipped > 1000


def test_sections_semantic_syntactic_and_skipped(relational):
    kv, path = relational
    result = evaluate_word_analogies(kv, path)
    assert list(result.sections) == ["capital-world", "gram8-plural"]
    world, plural = result.sections.values()
    assert world.asked == 40 * 39 and world.skipped == 0 and plural.skipped == 1
    assert result.semantic_accuracy == world.correct / world.asked
    assert result.syntactic_accuracy == plural.correct / plural.asked
    assert result.accuracy == (world.correct + plural.correct) / (world.asked + plural.asked)
    assert f"{100 * result.accuracy:.2f}% of 3,120 questions" in str(result)
    assert "1 skipped for unknown words" in str(result)


def test_question_words_and_their_casings_are_never_answers(tmp_path):
    # b - a + c = (0, 1, 1): "Woman", another casing of c, is the closest word;
    # "QUEEN", a rarer casing of d, comes next and counts as d.
    words = ["man", "king", "woman", "queen", "Woman", "QUEEN"]
    vectors = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 0, -1], [0, 1, 1], [0.1, 1, 1]],
                       dtype=np.float32)
    kv = KeyedVectors(words, vectors)
    path = tmp_path / "q.txt"
    path.write_text(": family\nMAN King woman Queen\n")
    assert evaluate_word_analogies(kv, path).sections["family"] == (1, 1, 0)
    # Spelled as they are, the question's capitals are unknown words...
    assert evaluate_word_analogies(kv, path, case_insensitive=False).sections["family"] == (0, 0, 1)
    # ...and "Woman" is then a word of its own, and a wrong answer.
    path.write_text(": family\nman king woman queen\n")
    assert evaluate_word_analogies(kv, path, case_insensitive=False).sections["family"] == (0, 1, 0)


def test_gensim_agrees_on_analogies_and_pairs(relational, tmp_path):
    gensim_models = peers.gensim_models()
    kv, path = relational
    theirs = gensim_models.KeyedVectors(kv.vector_size)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    for restrict_vocab in (1000, 150):
        score, sections = theirs.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)
        ours = evaluate_word_analogies(kv, path, restrict_vocab=restrict_vocab)
        assert ours.accuracy == pytest.approx(score, abs=0.001)
        assert ours.asked == len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])

    rng = np.random.default_rng(5)
    pairs = tmp_path / "pairs.tsv"
    lines = [f"{rng.choice(kv.index_to_key).upper()}\t{rng.choice(kv.index_to_key)}\t{rng.uniform(0, 10):.2f}"
             for _ in range(200)] + ["missing\tcountry1\t3.0"]
    pairs.write_text("# comment\n" + "\n".join(lines) + "\n")
    pearson, spearman, oov_percent = theirs.evaluate_word_pairs(str(pairs))
    ours = evaluate_word_pairs(kv, pairs)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=0.001)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=0.001)
    assert 100 * ours.oov_ratio == pytest.approx(oov_percent) and ours.oov_pairs == 1


def test_analogy_file_errors(tmp_path, relational):
    kv, _ = relational
    path = tmp_path / "bad.txt"
    path.write_text(": s\na b c d\na b c\n")
    with pytest.raises(W2VError, match="line 3: expected four words, got 3"):
        evaluate_word_analogies(kv, path)
    path.write_text(": only a header\n\n")
    with pytest.raises(W2VError, match="holds no analogy questions"):
        read_analogies(path)
    with pytest.raises(ValueError, match="method"):
        evaluate_word_analogies(kv, GOOGLE_ANALOGIES, method="cosine")


def test_a_section_that_comes_back_adds_up(tmp_path):
    kv = KeyedVectors(["a", "b", "c", "d"], np.eye(4, dtype=np.float32))
    path = tmp_path / "q.txt"
    path.write_text(": s\na b c d\n: t\na b c x\n: s\nb a c d\n")
    result = evaluate_word_analogies(kv, path)
    assert list(result.sections) == ["s", "t"]
    assert result.sections["s"].asked == 2 and result.sections["t"].skipped == 1


# --- word pairs ---------------------------------------------------------------------

def test_word_pair_files_in_their_usual_shapes(tmp_path):
    simlex = tmp_path / "simlex.txt"
    simlex.write_text("word1\tword2\tPOS\tSimLex999\tconc(w1)\nold\tnew\tA\t1.58\t2.72\n"
                      "smart\tintelligent\tA\t9.2\t1.75\n")
    assert read_word_pairs(simlex) == [("old", "new", 1.58), ("smart", "intelligent", 9.2)]
    men = tmp_path / "men.txt"
    men.write_text("sun sunlight 50.000000\n\nautomobile car 50\n")
    assert read_word_pairs(men) == [("sun", "sunlight", 50.0), ("automobile", "car", 50.0)]
    pairs = read_word_pairs(WORDSIM353)
    assert len(pairs) == 353 and pairs[0] == ("love", "sex", 6.77)


@pytest.mark.parametrize("text, message", [
    ("a\tb\t1\nc\td\tlots\n", "line 2: score 'lots' is not a number"),
    ("# only\n# comments\n", "holds no word pairs"),
    ("w1\tw2\tscore\nw1\tw2\tscore\n", "line 2: expected two words and a score"),
    ("a\tb\t1\nc\td\n", "line 2: expected two words and a score"),
])
def test_word_pair_file_errors(tmp_path, text, message):
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    with pytest.raises(W2VError, match=message):
        read_word_pairs(path)


def test_word_pairs_correlate_cosines_and_count_unknown_pairs(relational, tmp_path):
    kv, _ = relational
    rng = np.random.default_rng(2)
    chosen = [(kv.index_to_key[i], kv.index_to_key[j]) for i, j in rng.integers(0, 100, (30, 2))]
    human = rng.uniform(0, 10, len(chosen))
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a.upper()}\t{b}\t{h}\n" for (a, b), h in zip(chosen, human))
                    + "nothere\tcountry1\t5\n")
    result = evaluate_word_pairs(kv, path)
    cosines = [kv.similarity(a, b) for a, b in chosen]
    assert result.spearman == pytest.approx(stats.spearmanr(cosines, human).statistic)
    assert result.pearson == pytest.approx(stats.pearsonr(cosines, human).statistic)
    assert (result.pairs, result.oov_pairs) == (30, 1)
    assert result.oov_ratio == pytest.approx(1 / 31)
    assert "over 30 pairs; 1 with unknown words" in str(result)
    # Words beyond restrict_vocab count as unknown.
    rare = evaluate_word_pairs(kv, path, restrict_vocab=60)
    assert rare.oov_pairs > 1 and rare.pairs + rare.oov_pairs == 31
    with pytest.raises(W2VError, match="fewer than two pairs"):
        evaluate_word_pairs(kv, path, restrict_vocab=1)


# --- the bundled test sets --------------------------------------------------------------

def test_bundled_files_are_the_documented_bytes():
    readme = (DATA / "README.md").read_text()
    for path in (GOOGLE_ANALOGIES, WORDSIM353):
        digest = re.search(rf"`{path.name}`.*?`([0-9a-f]{{64}})`", readme).group(1)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_google_set_sections_and_defaults():
    sections = read_analogies(GOOGLE_ANALOGIES)
    sizes = {name: len(questions) for name, questions in sections}
    assert len(sizes) == 14 and sum(sizes.values()) == 19_544
    assert sum(n for name, n in sizes.items() if not is_syntactic(name)) == 8_869
    words = sorted({w.lower() for _, questions in sections[:1] for q in questions for w in q})
    words += ["love", "sex", "tiger", "cat"]  # the first WordSim-353 pairs
    kv = KeyedVectors(words, np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32))
    result = kv.evaluate_word_analogies()  # the bundled Google set
    assert result.sections["capital-common-countries"].asked == 506
    assert result.asked + result.skipped == 19_544
    pairs = kv.evaluate_word_pairs()  # the bundled WordSim-353
    assert pairs.pairs >= 3 and pairs.pairs + pairs.oov_pairs == 353
