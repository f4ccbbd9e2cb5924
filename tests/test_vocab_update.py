"""Vocabulary updates (issue 18, item 3): ``build_vocab(corpus, update=True)``,
``train(corpus, update_vocab=True)`` and ``w2v train NEW --resume MODEL
--update-vocab``: new words get rows after the old ones, old rows are kept."""

import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v import CorpusError, SettingsError, Vocabulary, VocabularyError, Word2Vec
from w2v.item2vec import Item2Vec

from conftest import edit_json_member, topic_corpus

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]
SETTINGS = dict(dim=8, min_count=3, sample=0, epochs=2, batch_words=500, seed=3, workers=1)


def run_cli(*args):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)


def trained(**settings):
    return Word2Vec(**{**SETTINGS, **settings}).train(topic_corpus(300), progress=None)


def new_corpus():
    """The topics again, with "fresh" in every sentence of topic a, "rare" twice
    (below min_count=3), and "newb" in topic b's sentences."""
    sentences = topic_corpus(200, seed=7)
    for k, sentence in enumerate(sentences):
        sentence.append("fresh" if k % 2 == 0 else "newb")
    return sentences + [["rare", "a1"], ["rare", "b1"]]


def snapshot(model):
    return list(model.vocab_.words), model.vocab_.counts.copy(), model.W_in_.copy(), model.W_out_.copy()


# --- the library ---------------------------------------------------------------------------


def test_old_rows_are_kept_and_new_words_appended():
    model = trained()
    words, counts, W_in, W_out = snapshot(model)
    model.build_vocab(new_corpus(), update=True)
    old = len(words)
    # "fresh" and "newb" (100 each) are rarer than every old word here, but the
    # point is the place: after the old rows, whatever their counts.
    assert model.vocab_.words[:old] == words
    assert sorted(model.vocab_.words[old:]) == ["fresh", "newb"]
    assert "rare" not in model.vocab_  # 2 < min_count in the new corpus
    assert np.array_equal(model.W_in_[:old], W_in) and np.array_equal(model.W_out_[:old], W_out)
    new_rows = model.W_in_[old:]
    assert np.abs(new_rows).max() <= 0.5 / model.dim and np.unique(new_rows).size == new_rows.size
    assert not model.W_out_[old:].any()
    assert model.wv["fresh"].shape == (model.dim,)


def test_new_words_go_last_even_when_most_frequent():
    model = trained()
    words = list(model.vocab_.words)
    model.build_vocab([["hot", "hot", "hot"]] * 400 + [["cold"] * 3], update=True)
    assert model.vocab_.words == words + ["hot", "cold"]
    assert model.vocab_.counts[-2] > model.vocab_.counts[:-2].max()


def test_counts_add_up_and_tables_follow_the_merged_counts():
    model = trained()
    words, counts, _, _ = snapshot(model)
    tokens = model.vocab_.corpus_tokens
    corpus = new_corpus()
    model.build_vocab(corpus, update=True)
    seen = Vocabulary.build(corpus, min_count=1)
    for row, word in enumerate(words):
        assert model.vocab_.counts[row] == counts[row] + seen.counts[seen.index[word]]
    assert model.vocab_.counts[model.vocab_.index["fresh"]] == seen.counts[seen.index["fresh"]]
    assert model.vocab_.corpus_tokens == tokens + seen.corpus_tokens
    noise = model.vocab_.noise_distribution(model.ns_exponent)
    weights = model.vocab_.counts.astype(float) ** model.ns_exponent
    assert noise.shape == (len(model.vocab_),) and np.allclose(noise, weights / weights.sum())


def test_old_words_absent_from_the_new_corpus_stay():
    model = trained()
    words, counts, W_in, _ = snapshot(model)
    model.build_vocab([["a1", "zed"]] * 5, update=True)
    assert model.vocab_.words == words + ["zed"]
    b0 = words.index("b0")
    assert model.vocab_.counts[b0] == counts[b0]  # not in the new corpus: unchanged, kept


def test_the_schedule_spans_the_new_corpus_and_training_goes_on():
    model = trained()
    epochs, words_trained = model.epochs_trained_, model.words_trained_
    corpus = new_corpus()
    model.train(corpus, epochs=1, update_vocab=True, progress=None)
    in_vocab = sum(token in model.vocab_ for sentence in corpus for token in sentence)
    assert model.run_["words_per_epoch"] == in_vocab  # "rare" is not among them
    assert model.epochs_trained_ == epochs + 1
    assert model.words_trained_ == words_trained + in_vocab
    assert model.W_out_[model.vocab_.index["fresh"]].any()  # the new rows were trained


def test_new_words_learn_their_topic():
    model = trained(epochs=3)
    model.train(new_corpus(), epochs=10, update_vocab=True, progress=None)
    kv = model.wv
    same = np.mean([kv.similarity("fresh", f"a{i}") for i in range(10)])
    other = np.mean([kv.similarity("fresh", f"b{i}") for i in range(10)])
    assert same > other + 0.2


def test_build_vocab_update_then_train_counts_once():
    corpus = new_corpus()
    once = trained().build_vocab(corpus, update=True)
    twice = trained()
    twice.build_vocab(corpus, update=True)
    twice.train(corpus, epochs=1, update_vocab=True, progress=None)
    assert np.array_equal(once.vocab_.counts, twice.vocab_.counts)


def test_a_corpus_file_is_counted_and_trained_from_one_reader(tmp_path):
    path = tmp_path / "new.txt"
    path.write_text("\n".join(" ".join(s) for s in new_corpus()) + "\n")
    model = trained().train(path, epochs=1, update_vocab=True, progress=None)
    assert "fresh" in model.vocab_ and model._vocab_reader is None


def test_new_rows_are_reproducible_and_differ_from_the_first_draws():
    a = trained().build_vocab(new_corpus(), update=True)
    b = trained().build_vocab(new_corpus(), update=True)
    assert np.array_equal(a.W_in_, b.W_in_)
    first = Word2Vec(**SETTINGS).build_vocab(topic_corpus(300))  # the initial rows of the seed
    assert not np.array_equal(a.W_in_[20:22], first.W_in_[:2])


def test_no_new_word_changes_counts_only():
    model = trained()
    words, counts, W_in, W_out = snapshot(model)
    model.build_vocab(topic_corpus(50, seed=9), update=True)
    assert model.vocab_.words == words
    assert (model.vocab_.counts > counts).all()
    assert np.array_equal(model.W_in_, W_in) and np.array_equal(model.W_out_, W_out)


def test_max_vocab_size_caps_the_words_added_and_never_removes():
    model = trained(max_vocab_size=21)  # 20 words: room for one
    model.build_vocab(new_corpus(), update=True)
    assert len(model.vocab_) == 21 and model.vocab_.words[-1] in ("fresh", "newb")
    model.build_vocab([["other"] * 50 + ["a1"]], update=True)
    assert len(model.vocab_) == 21 and "other" not in model.vocab_


def test_update_needs_a_vocabulary():
    model = Word2Vec(**SETTINGS)
    with pytest.raises(VocabularyError, match="needs a model with a vocabulary"):
        model.build_vocab(new_corpus(), update=True)
    with pytest.raises(VocabularyError, match="needs a model with a vocabulary"):
        model.train(new_corpus(), update_vocab=True, progress=None)
    assert model.vocab_ is None


def test_nothing_to_train_on_leaves_the_model_as_it_was():
    model = trained()
    before = snapshot(model)
    with pytest.raises(CorpusError, match="nothing to train on"):
        model.train([["unseen", "words"]], update_vocab=True, progress=None)
    after = snapshot(model)
    assert before[0] == after[0] and all(np.array_equal(x, y) for x, y in zip(before[1:], after[1:]))


def test_memory_for_the_grown_matrices_is_checked(monkeypatch):
    model = trained()
    words = list(model.vocab_.words)
    big = [[f"w{i}" for i in range(j, j + 50)] * 3 for j in range(0, 5000, 50)]
    needs = []  # what training the 20 words needs: enough for them, not for 5,000 more
    check = w2v.settings.check_memory
    monkeypatch.setattr(w2v.settings, "check_memory",
                        lambda what, nbytes, fix: needs.append(nbytes) or check(what, nbytes, fix))
    model._check_memory(len(words))
    monkeypatch.setattr(w2v.settings, "available_memory", lambda: needs[0] + 1000)
    with pytest.raises(SettingsError, match="5,020 words"):
        model.build_vocab(big, update=True)
    assert model.vocab_.words == words and model.W_in_.shape == (20, model.dim)


def test_changed_dim_is_refused_before_counting():
    model = trained()
    model.dim = 12
    with pytest.raises(SettingsError, match="dim is 12"):
        model.build_vocab(new_corpus(), update=True)


def test_an_updated_model_saves_and_loads(tmp_path):
    model = trained().train(new_corpus(), epochs=1, update_vocab=True, progress=None)
    model.save(tmp_path / "m.w2v")
    loaded = w2v.load(tmp_path / "m.w2v")
    assert loaded.vocab_.words == model.vocab_.words
    assert np.array_equal(loaded.W_in_, model.W_in_)
    assert np.array_equal(loaded.vocab_.counts, model.vocab_.counts)


def test_item2vec_gives_new_items_vectors():
    baskets = [["milk", "bread"], ["milk", "eggs", "bread"], ["tea", "cake"]] * 30
    model = Item2Vec(dim=8, epochs=3, seed=2, mode="baskets").train(baskets, progress=None)
    W_in = model.W_in_.copy()
    model.train([["coffee", "cake"], ["coffee", "tea"]] * 20, epochs=2, update_vocab=True,
                progress=None)
    assert model.vocab_.words[-1] == "coffee" and model.mode == "baskets"
    assert not np.array_equal(model.W_in_[:len(W_in)], W_in)  # training went on over all
    assert "coffee" in [item for item, _ in model.recommend("tea", topn=3)]


# --- the command line ----------------------------------------------------------------------


def write_corpus(path, sentences):
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


@pytest.fixture
def first_model(tmp_path):
    corpus = write_corpus(tmp_path / "old.txt", topic_corpus(300))
    model = tmp_path / "old.w2v"
    done = run_cli("train", corpus, "-o", model, "--dim", 8, "--min-count", 3, "--epochs", 1,
                   "--workers", 1, "-q")
    assert done.returncode == 0, done.stderr
    return model


def test_cli_update_vocab(tmp_path, first_model):
    new = write_corpus(tmp_path / "new.txt", new_corpus())
    vocab_file = tmp_path / "vocab.txt"
    done = run_cli("train", new, "--resume", first_model, "--update-vocab", "-o",
                   tmp_path / "new.w2v", "--epochs", 1, "--save-vocab", vocab_file)
    assert done.returncode == 0, done.stderr
    assert "2 new words" in done.stderr
    old, grown = w2v.load(first_model), w2v.load(tmp_path / "new.w2v")
    assert grown.vocab_.words[:len(old.vocab_)] == old.vocab_.words
    assert set(grown.vocab_.words[len(old.vocab_):]) == {"fresh", "newb"}
    assert grown.epochs_trained_ == old.epochs_trained_ + 1
    saved = vocab_file.read_text().split()[::2]
    assert "fresh" in saved and len(saved) == len(grown.vocab_) + 1  # with </s>


def test_cli_update_vocab_with_no_new_word_says_so(tmp_path, first_model):
    same = write_corpus(tmp_path / "same.txt", topic_corpus(40, seed=3))
    done = run_cli("train", same, "--resume", first_model, "--update-vocab", "-o",
                   tmp_path / "same.w2v", "--epochs", 1)
    assert done.returncode == 0, done.stderr
    assert "vocabulary is unchanged" in done.stderr


def test_cli_update_vocab_of_an_item_model(tmp_path):
    write_corpus(tmp_path / "b1.txt", [["a", "b", "c"], ["b", "c", "d"], ["a", "d"]] * 5)
    write_corpus(tmp_path / "b2.txt", [["a", "x", "y"], ["x", "y"], ["z", "a"]] * 5)
    assert run_cli("item2vec", tmp_path / "b1.txt", "-o", tmp_path / "i.w2v", "--epochs", 2,
                   "-q").returncode == 0
    done = run_cli("train", tmp_path / "b2.txt", "--resume", tmp_path / "i.w2v", "--update-vocab",
                   "-o", tmp_path / "i2.w2v", "--epochs", 1)
    assert done.returncode == 0, done.stderr
    grown = w2v.load(tmp_path / "i2.w2v")
    assert isinstance(grown, Item2Vec) and grown.vocab_.words == ["a", "b", "c", "d", "x", "y", "z"]


@pytest.mark.parametrize("extra, message", [
    ((), "--update-vocab needs --resume MODEL"),
    (("--resume", "MODEL", "--read-vocab", "VOCAB"), "--read-vocab cannot be used with --update-vocab"),
    (("--resume", "MODEL", "--spark", "local[1]"), "--update-vocab cannot be used with --spark"),
])
def test_cli_refusals(tmp_path, first_model, extra, message):
    vocab_file = write_corpus(tmp_path / "v.txt", [["a1", "5"]])
    extra = [{"MODEL": first_model, "VOCAB": vocab_file}.get(x, x) for x in extra]
    done = run_cli("train", tmp_path / "old.txt", "--update-vocab", *extra, "-o",
                   tmp_path / "out.w2v")
    assert done.returncode != 0 and message in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out.w2v").exists()


def test_cli_refuses_to_update_an_unfinished_run(tmp_path, first_model):
    edit_json_member(first_model, "meta.json", lambda meta: meta["run"].update(epochs=3))
    done = run_cli("train", tmp_path / "old.txt", "--resume", first_model, "--update-vocab",
                   "-o", tmp_path / "out.w2v")
    assert done.returncode != 0 and "finish it first with --resume" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_help_explains_the_update():
    done = run_cli("train", "--help")
    assert "--update-vocab" in done.stdout and "never removed" in " ".join(done.stdout.split())
