"""Phrases: scores against hand-computed values, passes, bounded counting, the
phrase file and its refusals, training on phrased text, and the command line."""

import gzip
import json
import lzma
import math
import random
import subprocess
import sys
from collections import Counter

import pytest

import w2v
from w2v import phrases as phrases_module
from w2v.errors import CorpusError, ModelFormatError, SettingsError
from w2v.phrases import Phrases, PhrasedCorpus

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]

# a=3 b=3 c=2 d=2, N=10; pairs: (a,b)=3, (b,c)=1, (c,a)=1, (b,d)=1, (c,d)=1
TINY = [["a", "b", "c", "a", "b"], ["a", "b", "d"], ["c", "d"]]


def city_corpus(n=3000, seed=0):
    """Filler words with "new york city" in a third of the sentences and
    "new york" alone in some others."""
    rng = random.Random(seed)
    filler = [f"w{i}" for i in range(60)]
    sentences = []
    for k in range(n):
        sentence = [rng.choice(filler) for _ in range(8)]
        if k % 3 == 0:
            sentence[3:3] = ["new", "york", "city"]
        if k % 7 == 0:
            sentence[6:6] = ["new", "york"]
        sentences.append(sentence)
    return sentences


def run(*args, stdin=None, timeout=120):
    return subprocess.run([*CLI, *map(str, args)], input=stdin, capture_output=True,
                          timeout=timeout)


# --- scores ---------------------------------------------------------------------------


def test_word2phrase_scores_match_hand_computed_values():
    learned = Phrases(min_count=1, delta=1, threshold=-1e9).learn(TINY, progress=None)
    table = learned.phrases_[0]
    assert table[("a", "b")] == (pytest.approx((3 - 1) / (3 * 3) * 10), 3)
    assert table[("b", "c")] == (pytest.approx(0.0), 1)
    assert table[("c", "d")] == (pytest.approx((1 - 1) / (2 * 2) * 10), 1)
    assert set(table) == {("a", "b"), ("b", "c"), ("c", "a"), ("b", "d"), ("c", "d")}
    assert learned.stats_[0].tokens == 10


def test_delta_defaults_to_min_count_and_rare_words_never_join():
    learned = Phrases(min_count=3, threshold=-1e9).learn(TINY, progress=None)
    # only a and b are seen 3 times: (3 - 3) / 9 * 10 = 0
    assert learned.phrases_[0] == {("a", "b"): (pytest.approx(0.0), 3)}


def test_threshold_keeps_only_pairs_above_it():
    learned = Phrases(min_count=1, delta=1, threshold=2.0).learn(TINY, progress=None)
    assert list(learned.phrases_[0]) == [("a", "b")]  # 2.22 > 2, the rest 0
    assert learned.apply(["c", "a", "b", "d"]) == ["c", "a_b", "d"]
    assert len(Phrases(min_count=1, delta=1, threshold=2.3).learn(TINY, progress=None)) == 0


def test_npmi_scores_match_hand_computed_values():
    learned = Phrases(min_count=1, scoring="npmi", threshold=-1).learn(TINY, progress=None)
    table = learned.phrases_[0]
    # a and b occur only together: npmi 1
    assert table[("a", "b")][0] == pytest.approx(1.0)
    expected = math.log(0.1 / (0.2 * 0.2)) / -math.log(0.1)  # (c, d): 0.398
    assert table[("c", "d")][0] == pytest.approx(expected)
    assert table[("b", "c")][0] == pytest.approx(math.log(0.1 / (0.3 * 0.2)) / -math.log(0.1))
    # npmi asks the pair itself to be seen min_count times
    assert set(Phrases(min_count=2, scoring="npmi", threshold=-1).learn(
        TINY, progress=None).phrases_[0]) == {("a", "b")}


def test_bad_settings_are_refused_naming_them():
    for settings, word in [({"scoring": "pmi"}, "scoring"), ({"min_count": 0}, "min_count"),
                           ({"threshold": math.nan}, "threshold"),
                           ({"scoring": "npmi", "threshold": 1.5}, "npmi"),
                           ({"passes": 2, "threshold": [1, 2, 3]}, "thresholds"),
                           ({"delimiter": " "}, "delimiter"), ({"max_vocab_size": 10}, "max_vocab")]:
        with pytest.raises(SettingsError, match=word):
            Phrases(**settings).learn(TINY, progress=None)


# --- joining and passes -----------------------------------------------------------------


def test_joining_is_greedy_left_to_right():
    learned = Phrases(min_count=1, delta=0, threshold=0).learn(
        [["x", "y", "z"]] * 5 + [["p", "q"]], progress=None)
    assert {("x", "y"), ("y", "z")} <= set(learned.phrases_[0])
    assert learned.apply(["x", "y", "z"]) == ["x_y", "z"]
    assert learned.apply(["y", "z", "x", "y"]) == ["y_z", "x_y"]
    assert learned.apply(["q"]) == ["q"] and learned.apply([]) == []


def test_second_pass_makes_trigrams():
    sentences = city_corpus()
    one = Phrases(min_count=5, threshold=10, passes=1).learn(sentences, progress=None)
    assert ("new", "york") in one.phrases_[0]
    assert "new_york_city" not in one.apply(["new", "york", "city"])
    two = Phrases(min_count=5, threshold=10, passes=2).learn(sentences, progress=None)
    assert ("new_york", "city") in two.phrases_[1]
    assert two.apply(["in", "new", "york", "city", "and", "new", "york"]) == [
        "in", "new_york_city", "and", "new_york"]
    assert two.stats_[1].tokens < two.stats_[0].tokens  # pass 2 counts the joined text
    assert two.top(1)[0][0] == "new_york"


def test_threshold_per_pass():
    learned = Phrases(min_count=5, threshold=[10, 1e9], passes=2).learn(city_corpus(),
                                                                       progress=None)
    assert learned.thresholds == [10.0, 1e9]
    assert learned.phrases_[0] and not learned.phrases_[1]


def test_a_one_shot_iterator_or_strings_are_refused():
    with pytest.raises(TypeError, match="re-iterable"):
        Phrases().learn(iter(TINY), progress=None)
    with pytest.raises(CorpusError, match="list of tokens"):
        Phrases().learn(["a b c"], progress=None)
    with pytest.raises(CorpusError, match="no tokens"):
        Phrases().learn([[]], progress=None)


# --- bounded counting ---------------------------------------------------------------------


def test_counts_are_exact_without_pruning_even_across_pieces(monkeypatch):
    monkeypatch.setattr(phrases_module, "CHUNK_TOKENS", 7)  # long sentences come in pieces
    rng = random.Random(3)
    sentences = [[f"t{rng.randrange(30)}" for _ in range(rng.randrange(0, 40))] for _ in range(200)]
    counter = phrases_module._PairCounter(10_000)
    counter.count(sentences, lambda force=False: None)
    assert counter.prunings == 0
    words = counter.words()
    got_words = {words[i]: int(c) for i, c in enumerate(counter.word_counts[:len(words)])}
    assert got_words == Counter(t for s in sentences for t in s)
    got_pairs = {(words[k >> 32], words[k & 0xFFFFFFFF]): int(c)
                 for k, c in zip(counter.pair_keys.tolist(), counter.pair_counts.tolist())}
    assert got_pairs == Counter(p for s in sentences for p in zip(s, s[1:]))
    assert counter.tokens == sum(map(len, sentences))


def test_pruning_keeps_the_table_within_its_bound_and_frequent_phrases():
    rng = random.Random(1)
    sentences = []
    for k in range(4000):  # 20,000 distinct rare words: many more pairs than the bound
        sentence = [f"r{rng.randrange(20_000)}" for _ in range(10)]
        sentence[4:4] = ["hong", "kong"]
        sentences.append(sentence)
    bound = 3000
    learned = Phrases(min_count=5, threshold=10, max_vocab_size=bound).learn(sentences,
                                                                            progress=None)
    stats = learned.stats_[0]
    assert stats.prunings > 0 and stats.min_reduce > 1
    assert stats.peak_entries <= bound
    assert stats.words + stats.pairs <= bound
    assert ("hong", "kong") in learned.phrases_[0]
    assert learned.phrases_[0][("hong", "kong")][1] <= 4000  # counts are lower bounds
    exact = Phrases(min_count=5, threshold=10).learn(sentences, progress=None)
    assert exact.stats_[0].prunings == 0
    assert exact.phrases_[0][("hong", "kong")][1] == 4000


# --- the phrase file -------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    learned = Phrases(min_count=5, threshold=10, passes=2).learn(city_corpus(), progress=None)
    path = tmp_path / "city.phrases"
    learned.save(path)
    return learned, path


def test_file_round_trip(saved):
    learned, path = saved
    loaded = Phrases.load(path)
    assert loaded.phrases_ == learned.phrases_
    assert loaded.stats_ == learned.stats_
    assert loaded.thresholds == learned.thresholds and loaded.scoring == learned.scoring
    sentence = ["a", "new", "york", "city", "york", "city"]
    assert loaded.apply(sentence) == learned.apply(sentence)
    assert json.loads(path.read_text())["format"] == "w2v-phrases"


def _edited(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage, message", [
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(format="pickle"), "not a w2v phrase file"),
    (lambda d: d.update(extra=1), "unknown fields"),
    (lambda d: d.pop("delimiter"), "lacks delimiter"),
    (lambda d: d.update(delimiter=""), "delimiter"),
    (lambda d: d.update(min_count=-1), "min_count"),
    (lambda d: d.update(min_count=True), "min_count"),
    (lambda d: d.update(scoring="eval"), "scoring"),
    (lambda d: d.update(passes=[]), "passes"),
    (lambda d: d.update(passes=[1]), "record"),
    (lambda d: d["passes"][0]["phrases"].append(["new", "york", 1.0, 3]), "twice"),
    (lambda d: d["passes"][0]["phrases"].append(["a b", "c", 1.0, 3]), "not a word"),
    (lambda d: d["passes"][0]["phrases"].append(["x", "", 1.0, 3]), "not a word"),
    (lambda d: d["passes"][0]["phrases"].append(["x", "y", "1", 3]), "score"),
    (lambda d: d["passes"][0]["phrases"].append(["x", "y", 1.0, 0]), "count"),
    (lambda d: d["passes"][0]["phrases"].append(["x", "y", 1.0]), "word, word, score, count"),
    (lambda d: d["passes"][0]["stats"].update(tokens=-5), "tokens"),
    (lambda d: d["passes"][1].update(threshold="high"), "threshold"),
])
def test_damaged_fields_are_one_clear_error(saved, damage, message):
    _, path = saved
    _edited(path, damage)
    with pytest.raises(ModelFormatError, match=message):
        Phrases.load(path)


@pytest.mark.parametrize("content, message", [
    (b"", "not a w2v phrase file"),
    (b"\x80\x04\x95 pickle", "not a w2v phrase file"),
    (b"PK\x03\x04zip", "not a w2v phrase file"),
    (b'{"format": "w2v-phrases", "version": 1, "delta": NaN}', "NaN"),
    (b'{"format": "w2v-phrases", "format": "w2v-phrases"}', "twice"),
    (b"{" * 100_000, "damaged"),
    (b'{"format": "w2v-phrases", "version": 1, \xff}', "UTF-8"),
])
def test_hostile_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.phrases"
    path.write_bytes(content)
    with pytest.raises(ModelFormatError, match=message):
        Phrases.load(path)


def test_truncated_and_oversized_files_are_refused(saved, monkeypatch, tmp_path):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="damaged"):
        Phrases.load(path)
    path.write_bytes(data)
    monkeypatch.setattr(phrases_module, "MAX_FILE_BYTES", len(data) - 1)
    with pytest.raises(ModelFormatError, match="larger than"):
        Phrases.load(path)
    with pytest.raises(ModelFormatError, match="no such"):
        Phrases.load(tmp_path / "missing")
    with pytest.raises(ModelFormatError, match="folder"):
        Phrases.load(tmp_path)


# --- training on phrased text ------------------------------------------------------------------


def test_word2vec_trains_on_a_phrased_corpus_every_epoch(tmp_path):
    learned = Phrases(min_count=5, threshold=10, passes=2).learn(city_corpus(), progress=None)
    text = tmp_path / "city.txt"
    text.write_text("\n".join(" ".join(s) for s in city_corpus(600, seed=5)) + "\n")
    with learned.phrased(text) as corpus:
        assert isinstance(corpus, PhrasedCorpus)
        first, second = list(corpus), list(corpus)  # re-iterable: one read per pass
        assert first == second and any("new_york_city" in s for s in first)
        model = w2v.Word2Vec(dim=8, min_count=1, epochs=3, workers=1).train(corpus, progress=None)
    assert "new_york_city" in model.vocab_ and "new_york" in model.vocab_
    assert "city" not in model.vocab_  # it only ever follows new york
    assert model.epochs_trained_ == 3
    assert model.read_stats_ is not None and model.read_stats_.tokens > 0


# --- the command line ------------------------------------------------------------------------


def _city_text(n=1500):
    return ("\n".join(" ".join(s) for s in city_corpus(n)) + "\n").encode()


def test_cli_reads_a_pipe_and_writes_the_joined_corpus(tmp_path):
    out = tmp_path / "out.txt"
    done = run("phrases", "-", "-o", out, "--threshold", "10", "--passes", "2",
               "--save-model", tmp_path / "m.phrases", stdin=_city_text())
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 1500 and sum("new_york_city" in line for line in lines) == 500
    err = done.stderr.decode()
    assert "words/s" in err and "ETA" in err and "new_york" in err and "phrases in 2 passes" in err
    assert Phrases.load(tmp_path / "m.phrases").passes == 2


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (lzma.open, ".xz")])
def test_cli_reads_compressed_files_and_writes_to_stdout(tmp_path, opener, suffix):
    path = tmp_path / f"city.txt{suffix}"
    with opener(path, "wb") as handle:
        handle.write(_city_text(600))
    done = run("phrases", path, "-o", "-", "--threshold", "10", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert b"new_york" in done.stdout and len(done.stdout.splitlines()) == 600


@pytest.mark.parametrize("options, message", [
    (["--threshold", "nan"], "--threshold"),
    (["--threshold", "1,2,3", "--passes", "2"], "thresholds"),
    (["--scoring", "npmi", "--threshold", "3"], "npmi"),
    (["--passes", "0"], "--passes"),
    (["--passes", "99"], "--passes"),
    (["--min-count", "-1"], "--min-count"),
    (["--max-vocab-size", "5"], "--max-vocab-size"),
    (["--scoring", "x"], "--scoring"),
])
def test_cli_bad_options_are_one_error_line(tmp_path, options, message):
    text = tmp_path / "c.txt"
    text.write_bytes(_city_text(50))
    done = run("phrases", text, "-o", tmp_path / "o.txt", *options)
    err = done.stderr.decode()
    assert done.returncode != 0
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], err
    assert not (tmp_path / "o.txt").exists()


def test_cli_refuses_its_own_input_and_missing_files(tmp_path):
    text = tmp_path / "c.txt"
    text.write_bytes(_city_text(50))
    before = text.read_bytes()
    for args in (["-o", text], ["-o", tmp_path / "o.txt", "--save-model", text]):
        done = run("phrases", text, *args)
        assert done.returncode != 0 and b"overwrite" in done.stderr
    assert text.read_bytes() == before
    done = run("phrases", tmp_path / "missing.txt", "-o", tmp_path / "o.txt")
    assert done.returncode == 1 and done.stderr.decode().startswith("Error:")
    assert b"Traceback" not in done.stderr


def test_cli_train_with_phrases(tmp_path):
    text = tmp_path / "c.txt"
    text.write_bytes(_city_text(900))
    phrase_file = tmp_path / "c.phrases"
    assert run("phrases", text, "-o", tmp_path / "j.txt", "--threshold", "10", "--passes", "2",
               "--save-model", phrase_file, "-q").returncode == 0
    model = tmp_path / "m.w2v"
    done = run("train", text, "--phrases", phrase_file, "-o", model, "--dim", "8",
               "--min-count", "1", "--epochs", "2", "--workers", "1", "-q")
    assert done.returncode == 0, done.stderr
    assert "new_york_city" in w2v.load(model).vocab_
    # a damaged phrase file, a model as phrases, --spark: one Error line each, nothing trained
    phrase_file.write_text('{"format": "w2v-phrases", "version": 1')
    for args in (["--phrases", phrase_file], ["--phrases", model],
                 ["--phrases", tmp_path / "none.phrases"]):
        done = run("train", text, *args, "-o", tmp_path / "n.w2v", "-q")
        err = done.stderr.decode()
        assert done.returncode == 1 and err.startswith("Error:") and len(err.splitlines()) == 1, err
    done = run("train", text, "--phrases", phrase_file, "--spark", "local[1]", "-o",
               tmp_path / "n.w2v")
    assert done.returncode == 2 and b"--phrases cannot be used with --spark" in done.stderr
    assert not (tmp_path / "n.w2v").exists()


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('"min_count": ', '"min_count": 1' + "0" * 5000 + ", \"x\": ", 1),
     "is damaged"),
    (lambda t: t.replace('"min_count": ', '"min_count": 7, "min_count": ', 1),
     "the field 'min_count' is given twice"),
])
def test_hostile_phrase_files_name_the_file_and_the_field(tmp_path, edit, message):
    path = tmp_path / "p.json"
    Phrases(min_count=1, threshold=0.1).learn([["new", "york"]] * 5).save(path)
    path.write_text(edit(path.read_text()))
    with pytest.raises(ModelFormatError, match=message) as caught:
        Phrases.load(path)
    assert str(path) in str(caught.value) and len(str(caught.value)) < 300
