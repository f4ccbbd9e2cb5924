"""Self-tuning of item2vec within a time budget (w2v/tune.py)."""

import io
import math
import time

import numpy as np
import pytest

from w2v import CorpusError, SettingsError
from w2v.item2vec import Item2Vec
from w2v.sessions import Sessions
from w2v.tune import STEPS, format_trials, tune

# Small enough that one trial takes a fraction of a second.
SMALL = {"window": (1, 3, 5), "ns_exponent": (0.0, 0.5, 1.0), "epochs": (3, 9),
         "dim": (8, 16), "negative": (2, 5)}


def chain_sessions(users=150, items=30, length=10, seed=0):
    """Walks along a cycle of items from random starts: the next item follows
    from the last one."""
    rng = np.random.default_rng(seed)
    return [[f"i{(start + k) % items}" for k in range(length)]
            for start in rng.integers(items, size=users)]


@pytest.fixture(scope="module")
def result():
    return tune(chain_sessions(), budget_seconds=3, seed=2, workers=1, progress=None,
                fixed={"dim": 8}, space=SMALL)


def test_the_search_stays_within_the_budget_and_starts_with_the_defaults():
    log = io.StringIO()
    started = time.monotonic()
    found = tune(chain_sessions(), budget_seconds=3, seed=1, workers=1, progress=log,
                 space=SMALL)
    elapsed = time.monotonic() - started
    longest = max(trial.seconds for trial in found.trials)
    assert elapsed <= 3 + longest + 0.5, (elapsed, longest)
    assert found.seconds <= 3 + longest
    first = found.trials[0]
    defaults = Item2Vec(mode="sessions")
    assert first.number == 1 and first.full and first.step == STEPS
    assert first.settings == {name: getattr(defaults, name) for name in SMALL}
    assert found.best_trial.key >= first.key  # tuning only matches or beats the defaults
    assert len(found.trials) > 3  # it did search
    lines = log.getvalue().splitlines()
    assert len(lines) == len(found.trials)
    assert lines[0].startswith("tune: trial 1 ") and all("left" in line for line in lines)


def test_the_best_settings_make_a_model_and_the_table_shows_every_trial(result):
    best = result.best
    assert best["dim"] == 8 and best["mode"] == "sessions"  # fixed settings are kept
    assert all(trial.settings.keys() == result.trials[0].settings.keys()
               for trial in result.trials)
    assert "dim" not in result.trials[0].settings
    assert best["history_half_life"] == result.best_trial.query["history_half_life"]
    assert result.best_trial.query.items() <= best.items()
    model = Item2Vec(**best, workers=1).train(chain_sessions(), progress=None)
    assert (model.window, model.epochs) == (best["window"], best["epochs"])
    header, rows = result.table()
    assert header[:3] == ["trial", "step", "epochs"] and "HR@10" in header
    assert len(rows) == len(result.trials) and all(len(row) == len(header) for row in rows)
    assert "defaults" in rows[0][-1]
    assert sum("best" in row[-1] for row in rows) == 1
    text = format_trials(result)
    assert len(text.splitlines()) == len(rows) + 2


def test_full_trials_are_scored_with_every_query_rule_and_only_they_win(result):
    scored = [trial for trial in result.trials if trial.status == "done"]
    assert all(len(t.by_query) >= 5 for t in scored if t.full)
    assert all(len(t.by_query) == 1 for t in scored if not t.full)  # only ranks candidates
    half_lives = {dict(rule)["history_half_life"] for rule in result.trials[0].by_query}
    assert {1.0, 2.0, math.inf} <= half_lives
    assert dict(next(iter(result.trials[0].by_query))) == {  # the defaults' own rule first
        name: getattr(Item2Vec(mode="sessions"), name) for name in result.trials[0].query}
    best = result.best_trial
    assert best.full
    assert best.key == max(t.key for t in result.trials if t.full)
    assert (best.hit_rate, best.ndcg) == max(best.by_query.values())


def test_later_steps_train_more_epochs_of_the_best_of_the_earlier():
    found = tune(chain_sessions(), budget_seconds=4, seed=3, workers=1, progress=None,
                 space=SMALL)
    by_settings = {}
    for trial in found.trials[1:]:
        by_settings.setdefault(tuple(sorted(trial.settings.items())), []).append(trial)
    for trials in by_settings.values():
        steps = [t.step for t in trials]
        assert steps == sorted(steps) and steps[0] == 1
        assert [t.epochs for t in trials] == sorted(t.epochs for t in trials)
    first_steps = [t for t in found.trials[1:] if t.step == 1]
    second_steps = [t for t in found.trials[1:] if t.step == 2]
    assert first_steps and len(second_steps) < len(first_steps)


def test_baskets_search_no_window_and_weigh_every_item_alike():
    baskets = Sessions(chain_sessions(), ordered=False)
    found = tune(baskets, budget_seconds=2, workers=1, progress=None, space=SMALL)
    assert "window" not in found.trials[0].settings and found.best["mode"] == "baskets"
    for trial in (t for t in found.trials if t.status == "done"):
        assert [dict(rule)["history_half_life"] for rule in trial.by_query] == [math.inf]


def test_a_budget_too_small_for_one_trial_is_an_error_saying_what_a_trial_took():
    sessions = chain_sessions(users=2000)
    started = time.monotonic()
    with pytest.raises(SettingsError, match="too small for even one trial"):
        tune(sessions, budget_seconds=0.01, workers=1, progress=None)
    assert time.monotonic() - started < 10  # stopped after an epoch, not the whole run


@pytest.mark.parametrize("budget", [0, -5, float("nan"), float("inf"), "10m", None])
def test_a_budget_that_is_not_a_positive_number_is_refused(budget):
    with pytest.raises(SettingsError, match="budget_seconds"):
        tune(chain_sessions(), budget_seconds=budget, progress=None)


def test_bad_fixed_settings_and_spaces_are_refused_before_training():
    with pytest.raises(SettingsError, match="Item2Vec does not know"):
        tune(chain_sessions(), 5, fixed={"colour": 3}, progress=None)
    with pytest.raises(SettingsError, match="dim"):
        tune(chain_sessions(), 5, fixed={"dim": -1}, progress=None)
    with pytest.raises(SettingsError, match="cannot search alpha"):
        tune(chain_sessions(), 5, space={"alpha": (0.1,)}, progress=None)
    with pytest.raises(SettingsError, match="non-empty list"):
        tune(chain_sessions(), 5, space={"dim": ()}, progress=None)
    with pytest.raises(SettingsError, match="mode"):
        tune(chain_sessions(), 5, fixed={"mode": "baskets"}, progress=None)
    with pytest.raises(SettingsError, match="workers"):
        tune(chain_sessions(), 5, workers=0, progress=None)
    with pytest.raises(SettingsError, match="fixed must be a dict"):
        tune(chain_sessions(), 5, fixed=[("dim", 8)], progress=None)


def test_data_with_no_user_of_two_items_cannot_be_tuned():
    with pytest.raises(CorpusError, match="nothing to tune on"):
        tune([["a"], ["b"]], 5, progress=None)
    with pytest.raises(CorpusError, match="expected sessions"):
        tune("interactions.csv", 5, progress=None)
