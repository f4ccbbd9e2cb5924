"""Sessions for item2vec from an interactions DataFrame, grouped on the cluster.

Each user's rows become a session in time order (ties in time keep the
order the rows came in), cut where the user was away longer than a gap, as
`w2v.sessions.read_interactions` does for a file; rows rated below a
minimum are left out. Rows whose user or item is missing, or whose
timestamp or rating cannot be read, are bad rows: counted and skipped, or
refused. Item ids become strings (Spark's text for numbers: 7, not 7.0 for
an integer column), never lower-cased or tokenized.

Grouping is Spark SQL (a window per user for the gaps, then one
``collect_list`` per session), so no Python runs on the executors here and
the driver holds nothing but the counts. A user's whole history is one
group on one executor: a user with more events than an executor's memory
holds is the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import CorpusError, SettingsError
from ..item2vec import Item2Vec
from ..sessions import HEADER_NAMES, SessionStats, _normalise_header
from .session import spark_errors
from .training import train

__all__ = ["SparkSessions", "sessions", "train_items"]


@dataclass
class SparkSessions:
    """Sessions of item ids as a DataFrame, one row per session.

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        Columns ``user`` (string), ``session`` (the user's session number,
        from 0) and ``items`` (array<string>, in time order).
    ordered : bool
        Whether the sessions are in time order (there was a timestamp
        column), so that what is near in a session matters.
    """

    frame: object
    ordered: bool
    _counts: object = None  # the one-row DataFrame of row counts

    def stats(self) -> SessionStats:
        """What grouping found, as `w2v.sessions.SessionStats` (one Spark job):
        rows read (``lines``), sessions, items, rows below ``min_rating``, bad rows."""
        from pyspark.sql import functions as F

        with spark_errors("counting the sessions"):
            rows = self._counts.first()
            made = self.frame.agg(F.count("*").alias("n"),
                                  F.sum(F.size("items")).alias("items")).first()
        return SessionStats(lines=rows["rows"], sessions=made["n"], items=made["items"] or 0,
                            below_min_rating=rows["below"], bad_rows=rows["bad"])


def sessions(interactions, *, user: str | None = None, item: str | None = None,
             timestamp: str | None = None, rating: str | None = None,
             min_rating: float | None = None, session_gap: float | None = None,
             on_bad_rows: str = "skip") -> SparkSessions:
    """Group an interactions DataFrame into sessions on the cluster.

    Parameters
    ----------
    interactions : pyspark.sql.DataFrame
        One row per interaction.
    user, item, timestamp, rating : str, optional
        The columns' names. By default they are recognised by name as
        `w2v.sessions` recognises a header (``userId``, ``movie_id``,
        ``timestamp``, ``rating``...); user and item are required.
        A timestamp is a number of seconds, a Spark timestamp or date, or an
        ISO 8601 string.
    min_rating : float, optional
        Keep only rows rated at least this (needs a rating column).
    session_gap : float, optional
        Seconds without activity after which a user's next row starts a new
        session (needs a timestamp column).
    on_bad_rows : {"skip", "error"}
        Skip (and count) rows with a missing user or item or an unreadable
        timestamp or rating, or refuse them with a `CorpusError`.

    Returns
    -------
    SparkSessions
        Lazily computed: nothing runs on the cluster until it is used.
    """
    if on_bad_rows not in ("skip", "error"):
        raise SettingsError(f"on_bad_rows must be 'skip' or 'error', not {on_bad_rows!r}")
    if min_rating is not None and not _finite(min_rating):
        raise SettingsError(f"min_rating must be a finite number, got {min_rating!r}")
    if session_gap is not None and not (_finite(session_gap) and session_gap > 0):
        raise SettingsError(f"session_gap must be a positive number of seconds, got {session_gap!r}")
    roles = _roles(interactions, user=user, item=item, timestamp=timestamp, rating=rating)
    if min_rating is not None and "rating" not in roles:
        raise CorpusError("min_rating needs a rating column (rating=...)")
    if session_gap is not None and "timestamp" not in roles:
        raise CorpusError("a session gap needs a timestamp column (timestamp=...)")
    with spark_errors("grouping the interactions"):
        rows, counts = _readable_rows(interactions, roles, min_rating, on_bad_rows)
        frame = _grouped(rows, session_gap)
    return SparkSessions(frame, "timestamp" in roles, counts)


def train_items(interactions, model: Item2Vec | None = None, *, user=None, item=None,
                timestamp=None, rating=None, min_rating=None, session_gap=None,
                on_bad_rows="skip", **options) -> Item2Vec:
    """Group ``interactions`` into sessions and train item vectors on them.

    The grouping options are `sessions`'; ``options`` are `w2v.spark.train`'s
    (``partitions``, ``rounds_per_epoch``, ``progress``...). An ``Item2Vec``
    in mode "auto" trains as sessions when there are timestamps, else as
    baskets, as for a file. Returns the trained model.
    """
    grouped = sessions(interactions, user=user, item=item, timestamp=timestamp, rating=rating,
                       min_rating=min_rating, session_gap=session_gap, on_bad_rows=on_bad_rows)
    model = Item2Vec() if model is None else model
    if not isinstance(model, Item2Vec):
        raise SettingsError(f"model must be a w2v.Item2Vec, got {type(model).__name__}")
    model.settle_mode(grouped.ordered)
    return train(grouped.frame.select("items"), model, column="items", **options)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _roles(frame, **given) -> dict[str, str]:
    """The column of each role: as given, or recognised by its name."""
    columns = list(frame.columns)
    roles = {}
    for role, column in given.items():
        if column is None:
            column = next((name for name in columns
                           if _normalise_header(name) in HEADER_NAMES[role]), None)
        elif column not in columns:
            raise CorpusError(f"the interactions have no column {column!r} (their columns: "
                              f"{', '.join(columns)})")
        if column is not None:
            roles[role] = column
    for role in ("user", "item"):
        if role not in roles:
            raise CorpusError(f"cannot tell the {role} column from the names {columns}: name "
                              f"it ({role}=...)")
    used = list(roles.values())
    if len(set(used)) < len(used):
        raise CorpusError(f"one column has two roles: {roles}")
    return roles


def _readable_rows(frame, roles: dict, min_rating, on_bad_rows: str):
    """The rows to group, as (user, item, t, order) with t in seconds, and a
    one-row DataFrame counting rows, bad rows and rows rated too low."""
    from pyspark.sql import functions as F

    user = F.trim(F.col(roles["user"]).cast("string"))
    item = F.trim(F.col(roles["item"]).cast("string"))
    bad = user.isNull() | (user == "") | item.isNull() | (item == "")
    time = F.lit(0.0)
    if "timestamp" in roles:
        time = _seconds(frame, roles["timestamp"])
        bad = bad | time.isNull()
    below = F.lit(False)
    if min_rating is not None:
        score = _number(roles["rating"])
        bad = bad | score.isNull()
        below = ~bad & (score < F.lit(float(min_rating)))
    marked = frame.select(user.alias("user"), item.alias("item"), time.alias("t"),
                          F.monotonically_increasing_id().alias("order"),
                          bad.alias("bad"), below.alias("below"))
    counts = marked.agg(F.count("*").alias("rows"),
                        F.sum(F.col("bad").cast("long")).alias("bad"),
                        F.sum(F.col("below").cast("long")).alias("below"))
    if on_bad_rows == "error":
        found = marked.filter("bad").limit(1).collect()
        if found:
            row = found[0]
            raise CorpusError(f"the interactions hold bad rows, e.g. user {row['user']!r}, item "
                              f"{row['item']!r}: a missing user or item, or an unreadable "
                              "timestamp or rating (on_bad_rows='skip' skips such rows)")
    return marked.filter(~F.col("bad") & ~F.col("below")), counts


def _seconds(frame, column: str):
    """The timestamp column as seconds (double); null where it cannot be read."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, NumericType, StringType, TimestampType

    kind = frame.schema[column].dataType
    if isinstance(kind, NumericType):
        return _number(column)
    if isinstance(kind, (TimestampType, DateType)) or kind.typeName() == "timestamp_ntz":
        return F.col(column).cast("timestamp").cast("double")
    if isinstance(kind, StringType):
        parsed = F.expr(f"try_to_timestamp(trim({_quoted(column)}))").cast("double")
        return F.coalesce(_number(column), parsed)
    raise CorpusError(f"the timestamp column {column!r} holds {kind.simpleString()}: give "
                      "seconds, a timestamp, a date or ISO 8601 text")


def _number(column: str):
    """The column as a finite double, null where it is not one. try_cast: with
    ANSI SQL (Spark 4's default) a plain cast of bad text fails the job."""
    from pyspark.sql import functions as F

    value = F.expr(f"try_cast(trim(cast({_quoted(column)} AS STRING)) AS DOUBLE)")
    return F.when(~F.isnan(value) & (F.abs(value) != float("inf")), value)


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def _grouped(rows, session_gap):
    """One row per session: (user, session, items in time order)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if session_gap is None:
        rows = rows.withColumn("session", F.lit(0))
    else:
        by_time = Window.partitionBy("user").orderBy("t", "order")
        gap = (F.col("t") - F.lag("t").over(by_time)) > F.lit(float(session_gap))
        rows = rows.withColumn("session", F.sum(gap.cast("int")).over(by_time))
        rows = rows.fillna(0, subset=["session"])
    grouped = rows.groupBy("user", "session").agg(
        F.sort_array(F.collect_list(F.struct("t", "order", "item"))).alias("events"))
    return grouped.select("user", "session",
                          F.transform("events", lambda event: event["item"]).alias("items"))
