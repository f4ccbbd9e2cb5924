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


def test_repeated_words_are_refused():
    with pytest.raises(ValueError, match="'a' occurs more than once"):
        KeyedVectors(["a", "b", "a"], np.zeros((3, 2)))


def test_most_similar_cosmul_follows_levy_and_goldberg(kv):
    unit = kv.unit_vectors

    def shifted(word):
        return (1 + unit @ kv.get_vector(word, norm=True)) / 2
    expected = shifted("king") * shifted("woman") / (shifted("man") + 1e-6)
    found = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=3)
    order = [w for w in np.array(kv.index_to_key)[np.argsort(-expected)] if w not in ("king", "woman", "man")]
    assert [w for w, _ in found] == order[:3] and found[0][0] == "queen"
    assert found[0][1] == pytest.approx(expected[kv.index("queen")], rel=1e-6)
    with pytest.raises(ValueError, match="positive"):
        kv.most_similar_cosmul(negative=["man"])


def test_analogy_reads_a_is_to_b_as_c_is_to(kv):
    for method in ("3cosadd", "3cosmul"):
        assert kv.analogy("man", "king", "woman", topn=1, method=method)[0][0] == "queen"
    assert kv.analogy("man", "king", "woman", topn=2) == \
        kv.most_similar(positive=["king", "woman"], negative=["man"], topn=2)
    with pytest.raises(ValueError, match="method"):
        kv.analogy("man", "king", "woman", method="3cosdiv")


def test_similar_by_vector_and_vectors_in_most_similar(kv):
    assert kv.similar_by_vector(kv["queen"] * 5, topn=1)[0][0] == "queen"
    by_word = kv.most_similar(positive=["king"], negative=["man"], topn=3)
    by_vector = kv.most_similar(positive=[kv["king"]], negative=[kv["man"]], topn=5)
    assert [w for w, _ in by_vector if w not in ("king", "man")][:3] == [w for w, _ in by_word]
    with pytest.raises(ValueError, match="shape"):
        kv.most_similar(np.zeros(3))


def test_neighbours_of_many_words_match_one_query_each():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(500)]
    kv = KeyedVectors(words, rng.standard_normal((500, 16)).astype(np.float32))
    queries = ["w3", "w499", "w0", rng.standard_normal(16)]
    batched = kv.neighbours(queries, topn=7, restrict_vocab=300)
    for query, found in zip(queries, batched):
        single = kv.most_similar(positive=[query], topn=7, restrict_vocab=300)
        assert [w for w, _ in found] == [w for w, _ in single]
        assert [s for _, s in found] == pytest.approx([s for _, s in single], abs=1e-5)
    assert [w for w, _ in batched[0]] != [w for w, _ in batched[2]]
    assert "w499" not in [w for w, _ in batched[1]]  # no word is its own neighbour


def test_neighbours_with_few_candidates_and_zero_vectors(kv):
    assert [w for w, _ in kv.neighbours(["king"], topn=50)[0]] == \
        [w for w, _ in kv.most_similar("king", topn=50)]
    assert len(kv.neighbours(["king"], topn=50)[0]) == 5
    assert kv.neighbours([np.zeros(4)]) == [[]]
    assert kv.neighbours("king", topn=1) == [[("kings", pytest.approx(kv.similarity("king", "kings")))]]
    with pytest.raises(UnknownWordError):
        kv.neighbours(["king", "kinng"])
