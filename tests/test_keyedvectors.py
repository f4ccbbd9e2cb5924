import numpy as np
import pytest

from w2v import KeyedVectors, UnknownWordError


@pytest.fixture
def kv():
    words = ["king", "queen", "man", "woman", "apple", "kings"]
    vectors = np.array([[1, 1, 0, 0.1], [1, -1, 0, 0.1], [0, 1, 0, 0], [0, -1, 0, 0],
                        [0, 0, 1, 0], [1, 1, 0, 0.3]], dtype=np.float32)
    return KeyedVectors(words, vectors)


def test_mapping_protocol(kv):
    assert "king" in kv and "prince" not in kv and len(kv) == 6
    assert kv["man"].tolist() == [0, 1, 0, 0]
    assert kv.get_vector("man", norm=True) == pytest.approx([0, 1, 0, 0])


def test_similarity_is_cosine(kv):
    assert kv.similarity("man", "woman") == pytest.approx(-1)
    assert kv.similarity("man", "apple") == pytest.approx(0)
    assert kv.similarity("king", "king") == pytest.approx(1)


def test_most_similar_excludes_the_query_and_sorts(kv):
    result = kv.most_similar("king", topn=3)
    assert [w for w, _ in result][0] == "kings"
    assert "king" not in [w for w, _ in result]
    scores = [s for _, s in result]
    assert scores == sorted(scores, reverse=True)


def test_analogy_with_positive_and_negative(kv):
    assert kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"


def test_most_similar_by_vector_does_not_exclude_anything(kv):
    assert kv.most_similar(kv["apple"], topn=1)[0][0] == "apple"


def test_restrict_vocab_limits_the_candidates(kv):
    assert "kings" not in [w for w, _ in kv.most_similar("king", topn=5, restrict_vocab=5)]


def test_unknown_word_names_it_and_suggests_close_words(kv):
    with pytest.raises(KeyError) as caught:
        kv["kinng"]
    error = caught.value
    assert isinstance(error, UnknownWordError)
    assert str(error) == "'kinng' is not in the vocabulary; did you mean: king, kings?"
    with pytest.raises(UnknownWordError, match="'zzzz' is not in the vocabulary$"):
        kv.most_similar("zzzz")


def test_doesnt_match(kv):
    assert kv.doesnt_match(["king", "queen", "kings", "apple"]) == "apple"


def test_shape_is_checked():
    with pytest.raises(ValueError, match="2 words"):
        KeyedVectors(["a", "b"], np.zeros((3, 2)))
