"""Self-tuning of item2vec: its settings searched on a validation split, in a time budget.

`tune` holds out each user's last item of the data it is given (its caller's
training data: `w2v.recs_eval.leave_last_out`), trains item2vec on the rest
with candidate settings, and scores each model on the held-out items
(hit rate@10, NDCG@10 to break ties; `w2v.recs_eval.evaluate`). It returns
the best settings; the caller then trains the final model on all its data.

The search:

1. Trial 1 is `Item2Vec`'s defaults, trained for their full epochs, so the
   settings returned can only match or beat the defaults on validation.
2. Then brackets of successive halving (Jamieson and Talwalkar 2016): `BRACKET`
   candidates, half drawn at random from `SPACE` and half neighbours of the
   best so far (one or two settings moved one step in `SPACE`), are trained
   for a ninth of their epochs; the best third go on with a third of their
   epochs, and the best of those with all of them. Each step trains afresh,
   since the learning rate decays over a run's epochs: a model trained in
   three pieces is not the model the final training makes. Only trials with
   their full epochs can be chosen.
3. How a history becomes a query (``history_half_life``, and
   ``history_even_share`` where Item2Vec has it) costs no training: a
   candidate's last step, and the defaults, are scored with every rule of
   `QUERY_GRID`; earlier steps, which only rank candidates, with the
   defaults' rule (scoring is most of the time of a short trial).

The clock is checked before each trial (one predicted not to finish in the
time left is not started; the prediction scales the seconds of past trials
by epochs, window, negative and dim) and after each epoch (a trial still
running when the budget is spent is stopped and left out), so the search
ends at most one epoch past the budget. A candidate whose full training is
predicted to take more than `MAX_TRIAL_SHARE` of the budget (or twice the
defaults', if more) is not drawn: it would leave no time for others. A budget
in which the defaults cannot be trained even once is an error saying what
one trial takes.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import CorpusError, SettingsError, W2VError
from .item2vec import Item2Vec
from .progress import format_duration
from .recs_eval import Split, evaluate, leave_last_out
from .settings import real_number, whole_number

__all__ = ["BRACKET", "MAX_VALIDATION_USERS", "QUERY_GRID", "SPACE", "Trial", "TuneResult",
           "format_trials", "tune"]

#: Values tried for each searched setting, with the defaults' own (neighbours
#: are the values next to each other in increasing order). ``window`` is searched for sessions only: a
#: basket's items are all each other's context.
SPACE = {
    "window": (1, 2, 3, 5, 8, 12, 20),
    "ns_exponent": (-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0),
    "epochs": (10, 20, 40, 60, 100),
    "dim": (16, 32, 64, 128, 256),
    "negative": (2, 5, 10, 20),
}
#: Query rules a fully trained model is scored with, for sessions (baskets
#: weigh every item alike): every combination, and the defaults' own. Names
#: Item2Vec does not have are left out. Each rule costs a scoring of every
#: validation user.
QUERY_GRID = {
    "history_half_life": (1.0, 2.0, 4.0, 8.0, math.inf),
    "history_even_share": (0.0, 0.25, 0.5),
}
# The argument of Item2Vec.recommend_many that takes each query setting.
_QUERY_ARGUMENTS = {"history_half_life": "half_life", "history_even_share": "even_share"}
#: Candidates per bracket of successive halving, and the share (1 / ETA) of
#: each step that goes on to the next with ETA times the epochs.
BRACKET = 9
ETA = 3
STEPS = 3
#: Validation users scored per trial at most (a random sample beyond): scoring
#: costs users x items per query rule.
MAX_VALIDATION_USERS = 10_000
#: Largest share of the budget one candidate's full training may be predicted
#: to take (on MovieLens-100K, window 20 with negative 20 and 100 epochs took
#: 4 minutes of a 10-minute search at its second step, before this bound).
MAX_TRIAL_SHARE = 0.25
#: How many recommendations are scored (HR@TOPN, NDCG@TOPN).
TOPN = 10


@dataclass
class Trial:
    """One model trained and scored on validation.

    Attributes
    ----------
    number : int
        1 for the defaults, then in the order run.
    settings : dict
        The searched settings (``epochs`` is the candidate's full count).
    epochs : int
        Epochs this trial trained: fewer than ``settings["epochs"]`` in the
        first steps of a bracket.
    step : int
        Step of successive halving, 1 .. `STEPS`; the defaults are a last step.
    query : dict
        The best of the query rules scored (``history_half_life``...).
    hit_rate, ndcg : float
        Validation HR@10 and NDCG@10 with that rule (NaN if not finished).
    by_query : dict
        Each rule scored (a tuple of its (name, value) pairs) -> (hit rate, NDCG).
    seconds : float
        Training and scoring.
    epochs_done : int
        Epochs completed (fewer than ``epochs`` if stopped).
    status : str
        "done", "stopped" (the budget ran out while it trained) or
        "failed: why" (e.g. the training diverged).
    """

    number: int
    settings: dict
    epochs: int
    step: int
    query: dict = field(default_factory=dict)
    hit_rate: float = math.nan
    ndcg: float = math.nan
    by_query: dict = field(default_factory=dict)
    seconds: float = 0.0
    epochs_done: int = 0
    status: str = "done"

    @property
    def full(self) -> bool:
        """Trained for all its epochs and scored: may be chosen."""
        return self.status == "done" and self.epochs == self.settings["epochs"]

    @property
    def key(self) -> tuple[float, float]:
        """What the search maximises: hit rate, then NDCG."""
        return (self.hit_rate, self.ndcg) if self.status == "done" else (-1.0, -1.0)


@dataclass
class TuneResult:
    """What `tune` tried and chose.

    Attributes
    ----------
    trials : list of Trial
        In the order run; ``trials[0]`` is the defaults.
    best : dict
        Settings for ``Item2Vec(**best)``: the searched ones, the query
        rule, the mode and the ``fixed`` ones.
    best_trial : Trial
    validation_users : int
        Users scored on validation.
    budget_seconds, seconds : float
        Budget given, and time the search took.
    topn : int
        N of the validation HR@N and NDCG@N.
    """

    trials: list[Trial]
    best: dict
    best_trial: Trial
    validation_users: int
    budget_seconds: float
    seconds: float
    topn: int = TOPN

    @property
    def defaults_trial(self) -> Trial:
        return self.trials[0]

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the trials, as text (e.g. for a terminal table):
        each trial's step, epochs trained of its full count, settings, best
        query rule, validation figures, seconds and a note (defaults, best,
        stopped, failed)."""
        names = [name for name in self.trials[0].settings if name != "epochs"]
        query = list(self.trials[0].query)
        header = ["trial", "step", "epochs", *names,
                  *[name.replace("history_", "") for name in query], f"HR@{self.topn}",
                  f"NDCG@{self.topn}", "seconds", "note"]
        return header, [self._row(trial, names, query) for trial in self.trials]

    def _row(self, trial: Trial, names: list[str], query: list[str]) -> list[str]:
        scored = trial.status == "done"
        return [str(trial.number), f"{trial.step}/{STEPS}",
                f"{trial.epochs}/{trial.settings['epochs']}",
                *[_number(trial.settings[name]) for name in names],
                *[_number(trial.query[name]) if scored else "-" for name in query],
                f"{trial.hit_rate:.4f}" if scored else "-",
                f"{trial.ndcg:.4f}" if scored else "-",
                f"{trial.seconds:.1f}", self._note(trial)]

    def _note(self, trial: Trial) -> str:
        notes = []
        if trial.number == 1:
            notes.append("defaults")
        if trial is self.best_trial:
            notes.append("best")
        if trial.status != "done":
            notes.append(trial.status)
        return ", ".join(notes)


def _number(value) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:g}"
    return str(value)


def format_trials(result: TuneResult) -> str:
    """The trials as an aligned plain-text table, best marked."""
    header, rows = result.table()
    cells = [header] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) if 0 < i < len(header) - 1 else cell.ljust(width)
                       for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def tune(sessions, budget_seconds: float, seed: int = 1, workers: int = 1,
         progress=sys.stderr, *, fixed: dict | None = None, space: dict | None = None,
         topn: int = TOPN) -> TuneResult:
    """Search item2vec's settings on a validation split within a time budget.

    Parameters
    ----------
    sessions : Sessions or list of list of str
        The data the final model will be trained on (time order, as
        `w2v.sessions.read_sessions` gives it). Its users' last items are held
        out for validation; nothing outside it is looked at.
    budget_seconds : float
        Time for the search (not for the final training), > 0.
    seed : int
        Seed of every trial's training and of the search's random draws.
    workers : int
        Training threads.
    progress : file or None
        Where a line per trial goes (trial, best so far, time left); None: silent.
    fixed : dict, optional
        ``Item2Vec`` settings to keep as given (e.g. ``{"dim": 32,
        "min_count": 2}``): not searched, and part of every trial.
    space : dict, optional
        Values to search per setting, instead of `SPACE` (a subset of its names).
    topn : int
        N of the validation HR@N and NDCG@N.

    Returns
    -------
    TuneResult
        ``best`` makes the final model: ``Item2Vec(**result.best,
        workers=..., seed=...).train(sessions)``.

    Raises
    ------
    SettingsError
        For a budget that is not a positive number, or too small for one
        trial of the defaults (the message says how long one takes).
    CorpusError
        When no user has two items: nothing to validate on.

    Examples
    --------
    >>> result = tune(sessions, budget_seconds=600)  # doctest: +SKIP
    >>> model = Item2Vec(**result.best).train(sessions)  # doctest: +SKIP
    >>> print(format_trials(result))  # doctest: +SKIP
    """
    budget = real_number("budget_seconds", budget_seconds, low=0, low_open=True)
    seed = whole_number("seed", seed, low=0, high=2**64 - 1)
    workers = whole_number("workers", workers)
    if not isinstance(fixed, (dict, type(None))):
        raise SettingsError(f"fixed must be a dict of Item2Vec settings, got {fixed!r}")
    search = _Search(sessions, budget, seed, workers, progress, dict(fixed or {}),
                     space, whole_number("topn", topn, high=1_000_000))
    return search.run()


class _OutOfTime(Exception):
    """Raised after an epoch to stop a trial once the budget is spent."""


class _Search:
    """The state of one `tune` call: the split, the clock, the trials."""

    def __init__(self, sessions, budget, seed, workers, progress, fixed, space, topn):
        self.started = time.monotonic()
        self.deadline = self.started + budget
        self.budget, self.seed, self.workers, self.topn = budget, seed, workers, topn
        self.progress = progress
        self.rng = np.random.default_rng(seed)
        self.split = _validation_split(sessions)
        self.mode = "sessions" if self.split.train.ordered else "baskets"
        self.fixed = _checked_fixed(fixed, self.mode)
        self.base = Item2Vec(mode=self.mode, **self.fixed)  # the defaults, less what is fixed
        self.space = self._searched(space)
        self.defaults = {name: getattr(self.base, name) for name in self.space}
        self.rules = _query_rules(self.mode, self.fixed, self.base)
        self.users = self._validation_users()
        self.trials: list[Trial] = []
        self.done: dict[tuple, Trial] = {}  # (settings, epochs) -> trial, to run none twice
        self.rates: list[float] = []  # training seconds per unit of `_work`, of past trials
        self.overheads: list[float] = []  # seconds of each trial besides the epochs (scoring)
        self.tokens = sum(map(len, self.split.train))
        self.mean_length = self.tokens / max(len(self.split.train), 1)

    def _searched(self, space) -> dict:
        space = dict(SPACE if space is None else space)
        unknown = set(space) - set(SPACE)
        if unknown:
            raise SettingsError(f"cannot search {', '.join(sorted(unknown))}: the settings "
                                f"searched are {', '.join(SPACE)}")
        if self.mode == "baskets":
            space.pop("window", None)
        for name in self.fixed:
            space.pop(name, None)
        # Epochs are what successive halving gives more of: always a setting.
        space.setdefault("epochs", (self.base.epochs,))
        for name, values in space.items():
            if not isinstance(values, (tuple, list)) or not values:
                raise SettingsError(f"space[{name!r}] must be a non-empty list of values, "
                                    f"got {values!r}")
        # The defaults' own values are always among those searched.
        return {name: tuple(sorted(set(values) | {getattr(self.base, name)}))
                for name, values in space.items()}

    def _validation_users(self):
        users = len(self.split.users)
        if users <= MAX_VALIDATION_USERS:
            return None
        return np.sort(self.rng.choice(users, MAX_VALIDATION_USERS, replace=False))

    # --- the search ---------------------------------------------------------------

    def run(self) -> TuneResult:
        first = self._trial(self.defaults, self.defaults["epochs"], STEPS)
        if first.status == "stopped":
            raise SettingsError(self._too_small(first))
        if first.status != "done":
            raise W2VError(f"the defaults could not be trained: {first.status}")
        while self.time_left() > 0 and self._bracket():
            pass
        best = max((t for t in self.trials if t.full), key=lambda t: t.key)
        settings = {**self.fixed, **best.settings, **best.query, "mode": self.mode}
        users = len(self.split.users) if self.users is None else len(self.users)
        return TuneResult(self.trials, settings, best, users, self.budget,
                          time.monotonic() - self.started, self.topn)

    def _bracket(self) -> bool:
        """One bracket of successive halving; False if no trial could start."""
        candidates = [c for c in (self._candidate() for _ in range(BRACKET)) if c is not None]
        ran = False
        for step in range(1, STEPS + 1):
            scored = []
            for settings in candidates:
                epochs = max(1, round(settings["epochs"] / ETA ** (STEPS - step)))
                trial = self._trial(settings, epochs, step)
                if trial is None:
                    continue  # would not finish in the time left
                ran = True
                if trial.status == "stopped":
                    return False
                scored.append(trial)
            if not scored:
                return ran
            scored.sort(key=lambda t: t.key, reverse=True)
            keep = max(1, math.ceil(len(scored) / ETA))
            candidates = [t.settings for t in scored[:keep] if t.status == "done"]
        return ran

    def _candidate(self) -> dict | None:
        """A new candidate that could finish in the time left: half the time a
        neighbour of the best so far, else drawn at random; None if none is found."""
        best = max((t for t in self.trials if t.full), key=lambda t: t.key).settings
        tried = {tuple(sorted(t.settings.items())) for t in self.trials}
        for _ in range(50):
            settings = self._neighbour(best) if self.rng.random() < 0.5 else self._random()
            if tuple(sorted(settings.items())) in tried:
                continue
            if self._predicted(settings, settings["epochs"]) > min(self.time_left(),
                                                                    self._largest_trial()):
                continue
            return settings
        return None

    def _random(self) -> dict:
        return {name: values[self.rng.integers(len(values))] for name, values in self.space.items()}

    def _neighbour(self, settings: dict) -> dict:
        """``settings`` with one or two of them moved one step along `SPACE`."""
        moved = dict(settings)
        names = list(self.space)
        for name in self.rng.choice(names, size=min(len(names), self.rng.integers(1, 3)),
                                    replace=False):
            values = self.space[name]
            at = int(np.argmin([abs(v - moved[name]) for v in values]))
            step = self.rng.choice([-1, 1])
            moved[name] = values[min(max(at + step, 0), len(values) - 1)]
        return moved

    # --- one trial ------------------------------------------------------------------

    def _trial(self, settings: dict, epochs: int, step: int) -> Trial | None:
        """Train and score ``settings`` for ``epochs``; None if it would not
        finish in the time left (the first trial always starts)."""
        key = (tuple(sorted(settings.items())), epochs)
        if key in self.done:
            return self.done[key]
        if self.trials and self._predicted(settings, epochs) > self.time_left():
            return None
        trial = Trial(len(self.trials) + 1, dict(settings), epochs, step)
        started = time.monotonic()
        self.epoch_ends = [started]
        model = Item2Vec(mode=self.mode, seed=self.seed, workers=self.workers,
                         **{**self.fixed, **settings, "epochs": epochs})
        try:
            model.train(self.split.train, progress=None, on_epoch_end=self._check_clock)
            full = epochs == settings["epochs"]
            self._score(trial, model, self.rules if full else self.rules[:1])
        except _OutOfTime:
            trial.status = "stopped"
        except W2VError as error:  # e.g. diverged or too big for memory: tell, go on
            trial.status = f"failed: {error}"
        trial.seconds = time.monotonic() - started
        trial.epochs_done = model.epochs_trained_
        if trial.status == "done":
            self.rates.append(model.training_seconds_ / self._work(settings, epochs))
            self.overheads.append(trial.seconds - model.training_seconds_)
        self.trials.append(trial)
        self.done[key] = trial
        self._report(trial)
        return trial

    def _check_clock(self, model) -> None:
        self.epoch_ends.append(time.monotonic())
        # The defaults go on to a second epoch, to tell what an epoch takes.
        if self.epoch_ends[-1] > self.deadline and (self.trials or len(self.epoch_ends) > 2):
            raise _OutOfTime

    def _score(self, trial: Trial, model: Item2Vec, rules: list[dict]) -> None:
        for rule in rules:
            metrics = evaluate(_WithQuery(model, rule), self.split, self.topn, self.users)
            trial.by_query[tuple(rule.items())] = (metrics.hit_rate, metrics.ndcg)
        best = max(trial.by_query, key=lambda rule: trial.by_query[rule])
        trial.query = dict(best)
        trial.hit_rate, trial.ndcg = trial.by_query[best]

    # --- the clock ----------------------------------------------------------------

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def _work(self, settings: dict, epochs: int) -> float:
        """What training costs, up to a factor: epochs x items x context items
        per item x (1 + negative) dot products of ``dim``."""
        window, negative, dim = (settings.get(name, getattr(self.base, name))
                                 for name in ("window", "negative", "dim"))
        context = min(2 * window, self.mean_length)
        return epochs * max(self.tokens, 1) * max(context, 1) * (1 + negative) * dim

    def _largest_trial(self) -> float:
        """Seconds a candidate's full training may be predicted to take."""
        return max(MAX_TRIAL_SHARE * self.budget, 2 * self.trials[0].seconds)

    def _predicted(self, settings: dict, epochs: int) -> float:
        """Seconds a trial should take: its epochs at the past trials' rate (the
        mean of the last three, since the machine's load changes), and what
        else a trial took (building the vocabulary, scoring)."""
        if not self.rates:
            return 0.0
        return (float(np.mean(self.rates[-3:])) * self._work(settings, epochs)
                + float(np.median(self.overheads)))

    def _too_small(self, first: Trial) -> str:
        ends = self.epoch_ends  # the start, then the end of each epoch
        per_epoch = (ends[-1] - ends[1]) / max(len(ends) - 2, 1)  # the first holds the setup
        needed = ends[1] - ends[0] + per_epoch * (first.epochs - 1)
        return (f"a budget of {_seconds(self.budget)} is too small for even one trial: "
                f"training the defaults on the validation split takes about {_seconds(needed)} "
                f"({first.epochs} epochs of {_seconds(per_epoch)}); give several times that "
                f"(e.g. {_seconds(max(10 * needed, 60))}) for a search")

    def _report(self, trial: Trial) -> None:
        if self.progress is None:
            return
        best = max((t for t in self.trials if t.full), key=lambda t: t.key, default=None)
        result = (f"HR@{self.topn} {trial.hit_rate:.4f}" if trial.status == "done"
                  else trial.status)
        best_text = (f"best {best.hit_rate:.4f} (trial {best.number})" if best else "")
        print(f"tune: trial {trial.number} (step {trial.step}/{STEPS}, epochs "
              f"{trial.epochs}/{trial.settings['epochs']}) "
              f"{result} in {trial.seconds:.0f} s; {best_text}; "
              f"{format_duration(max(self.time_left(), 0))} left",
              file=self.progress, flush=True)


def _seconds(seconds: float) -> str:
    """"0.25 s", "42 s", "4 min"."""
    if seconds < 10:
        return f"{seconds:.2g} s"
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"


class _WithQuery:
    """An item model queried with a given rule (``history_half_life``...), for `evaluate`."""

    def __init__(self, model: Item2Vec, rule: dict):
        self.model = model
        self.arguments = {_QUERY_ARGUMENTS[name]: value for name, value in rule.items()}
        self.wv = model.wv

    def recommend_many(self, histories, topn, exclude):
        return self.model.recommend_many(histories, topn=topn, exclude=exclude, **self.arguments)


def _validation_split(sessions) -> Split:
    split = leave_last_out(sessions, 1)
    if not split.train.sessions:
        raise CorpusError("nothing to tune on: no user has more than one item, so holding "
                          "out each user's last item leaves no training data")
    return split


def _checked_fixed(fixed: dict, mode: str) -> dict:
    """``fixed`` as Item2Vec settings, refused early if Item2Vec would refuse them."""
    for name in ("mode", "seed", "workers"):
        if name in fixed:
            raise SettingsError(f"{name} is not a setting to fix for tune: pass it as its own "
                                "argument (the mode comes from the data)")
    try:
        Item2Vec(mode=mode, **fixed)._validate(memory=False)
    except TypeError as error:
        raise SettingsError(f"fixed holds a setting Item2Vec does not know: {error}") from None
    return fixed


def _query_rules(mode: str, fixed: dict, base: Item2Vec) -> list[dict]:
    """The query rules to score, the defaults' (``base``'s) first: for sessions,
    every combination of `QUERY_GRID` (a fixed setting keeps its value); for
    baskets, the defaults' alone (every item alike)."""
    names = [name for name in QUERY_GRID if name in Item2Vec.PARAMS]
    own = {name: getattr(base, name) for name in names}
    if mode == "baskets":
        return [own]
    grid = [[own[name]] if name in fixed else QUERY_GRID[name] for name in names]
    rules = [own] + [dict(zip(names, values)) for values in itertools.product(*grid)]
    unique = {}
    for rule in rules:
        # An infinite half-life weighs every item alike, whatever the even share.
        same = tuple((n, v) for n, v in rule.items()
                     if not (n == "history_even_share" and rule.get("history_half_life") == math.inf))
        unique.setdefault(same, rule)
    return list(unique.values())
