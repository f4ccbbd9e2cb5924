"""Getting a Spark session, and turning Spark's failures into w2v's errors.

Spark reports a mistake (a master URL it cannot parse, a missing Java, a
task that failed on an executor) as a Java stack trace of a hundred lines
wrapped in a Python exception. w2v's rule is one line that names the bad
value and the fix, so the checks that can be made before Spark starts are
made here (Java present and recent enough, a master URL of a known form, a
standalone master that answers), and `spark_errors` turns what Spark raises
later into a `SparkError`, or back into the w2v error an executor raised.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from .. import errors
from ..errors import W2VError

#: What ``pip install`` needs for this package's Spark support.
INSTALL_HINT = "pip install 'w2v[spark]' (PySpark >= 3.5 and Java 17)"
#: Oldest Java each PySpark major version runs on.
JAVA_NEEDED = {3: 8, 4: 17}
#: Seconds to wait for a standalone master to accept a connection.
CONNECT_TIMEOUT = 5.0

# Master URLs Spark understands (its SparkContext.createTaskScheduler).
_LOCAL = re.compile(r"local(\[(\*|0*[1-9]\d*)(,\s*\d+)?\])?$")  # at least one thread
_LOCAL_CLUSTER = re.compile(r"local-cluster\[\d+,\s*\d+,\s*\d+\]$")
_STANDALONE = re.compile(r"spark://([^,/]+)(,[^,/]+)*/?$")
_OTHER_MASTERS = re.compile(r"(yarn|k8s://.+|mesos://.+)$")

# Log4j 2 settings for a JVM this module starts: only fatal errors on
# standard error, so that a user sees w2v's one-line messages, not Spark's
# warnings about native libraries or its stack traces (W2V_DEBUG shows them).
_LOG4J2 = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{HH:mm:ss}} %p %c{{1}}: %m%n
"""


class SparkError(W2VError):
    """Spark cannot start, cannot reach its cluster, or a Spark job failed."""


def import_pyspark():
    """The ``pyspark`` module, or a `SparkError` saying how to install it."""
    try:
        with warnings.catch_warnings():
            # PySpark warns at import about pandas versions w2v never uses.
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark
            import pyspark.sql  # noqa: F401
            try:  # PySpark imports it later, and it warns when imported
                import pyspark.testing.utils  # noqa: F401
            except ImportError:
                pass
    except ImportError:
        raise SparkError(f"w2v.spark needs PySpark, which is not installed: {INSTALL_HINT}") from None
    return pyspark


def check_master(master: str) -> str:
    """``master`` if it is a master URL of a form Spark knows, else a `SparkError`;
    a standalone master (``spark://host:port``) must also accept a connection."""
    if not isinstance(master, str) or not master.strip():
        raise SparkError(f"the Spark master must be a URL such as local[4], spark://host:7077 "
                         f"or yarn, got {master!r}")
    master = master.strip()
    if _LOCAL.match(master) or _LOCAL_CLUSTER.match(master) or _OTHER_MASTERS.match(master):
        return master
    found = _STANDALONE.match(master)
    if not found:
        raise SparkError(f"{master!r} is not a Spark master URL: use local[N] (N cores of this "
                         "machine), local[*], spark://HOST:PORT, yarn or k8s://HOST:PORT")
    for address in master[len("spark://"):].rstrip("/").split(","):
        _check_reachable(master, address)
    return master


def _check_reachable(master: str, address: str) -> None:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise SparkError(f"{master!r}: {address!r} is not HOST:PORT (the standalone master's "
                         "port is 7077 by default)")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise SparkError(f"cannot reach the Spark master at {address} ({reason}): is it "
                         "running, and is this the address its log gives?") from None


def check_java(pyspark_version: str) -> None:
    """Refuse to start Spark without a Java it runs on (it would die with an
    unreadable message about its gateway)."""
    java = _java_command()
    if java is None:
        raise SparkError("Spark needs Java, and none was found (no java on PATH or in "
                         "JAVA_HOME): install Java 17, e.g. apt-get install openjdk-17-jre-headless")
    version = java_version(java)
    needed = JAVA_NEEDED.get(int(pyspark_version.split(".")[0]), 17)
    if version is not None and version < needed:
        raise SparkError(f"PySpark {pyspark_version} needs Java {needed} or newer, but {java} is "
                         f"Java {version}: install Java 17 (openjdk-17-jre-headless) or point "
                         "JAVA_HOME to it")


def _java_command() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def java_version(java: str = "java") -> int | None:
    """The major version of ``java`` (8 for "1.8.0_392", 17 for "17.0.15"),
    None if it cannot be told."""
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def start_session(master: str, app_name: str = "w2v", conf: dict | None = None):
    """A new SparkSession on ``master`` (checked first), with executors that
    run this very Python when they are on this machine.

    Spark's own messages (the JVM's warnings, its logs, an executor's
    Python traceback on a local master) go to a log file, `log_path()`, not
    to the terminal: a failure is shown as one line by `spark_errors`.
    ``W2V_DEBUG=1`` shows them as Spark would. The caller stops the session
    (``session.stop()``).
    """
    pyspark = import_pyspark()
    master = check_master(master)
    check_java(pyspark.__version__)
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        raise SparkError("a Spark session is already running in this process: pass it as "
                         "spark=... instead of a master URL")
    settings = {
        "spark.master": master,
        "spark.app.name": app_name,
        "spark.ui.showConsoleProgress": "false",  # w2v prints its own progress per round
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={_log_settings()}",
    }
    if master.startswith("local"):
        settings["spark.ui.enabled"] = "false"
        if "PYSPARK_PYTHON" not in os.environ:
            # Executors on this machine: the interpreter w2v runs in has w2v and numba
            # (a bare "python3" on PATH may not).
            settings["spark.pyspark.python"] = sys.executable
    settings.update(conf or {})
    spark_conf = SparkConf().setAll(list(settings.items()))
    _quiet_py4j()  # before the gateway starts: a signal may come while it does
    with spark_errors(f"starting Spark on {master}"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        context = SparkContext(conf=spark_conf, gateway=_gateway(spark_conf))
        session = SparkSession(context)
    context.setLogLevel(_log_level().upper())
    _plain_interrupts()
    return session


def _plain_interrupts() -> None:
    """Ctrl-C as a plain KeyboardInterrupt. PySpark's own handler cancels the
    jobs by calling into the JVM from inside the call it interrupts, which
    fails on py4j's connection and prints its tracebacks; the caller's
    ``finally`` blocks stop the session, and stopping it cancels the jobs."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _quiet_py4j() -> None:
    """py4j reports an interrupted call (Ctrl-C, SIGTERM) on its own loggers
    and on the root one, with tracebacks: the CLI says what was interrupted
    in one line instead. ``W2V_DEBUG=1`` keeps them."""
    if not os.environ.get("W2V_DEBUG"):
        logging.getLogger("py4j").setLevel(logging.CRITICAL)
        for name in ("py4j.clientserver", "py4j.java_gateway"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        root = logging.getLogger()
        if _not_from_py4j not in root.filters:
            root.addFilter(_not_from_py4j)


def _not_from_py4j(record: logging.LogRecord) -> bool:
    return f"{os.sep}py4j{os.sep}" not in record.pathname


def _gateway(conf):
    """Spark's JVM, its output into `log_path()` unless debugging."""
    if os.environ.get("W2V_DEBUG"):
        return _launch(conf, {})
    log = open(log_path(), "ab")  # the JVM writes to it for as long as it lives
    atexit.register(_remove_log_unless_failed)
    try:
        return _launch(conf, {"stdout": log, "stderr": log})
    except Exception as error:
        raise SparkError(f"Spark did not start ({_reason(str(error))}); its log is "
                         f"{log_path()}") from None
    finally:
        log.close()  # the JVM keeps its own copy of the descriptor


def _launch(conf, popen_kwargs: dict):
    """PySpark's `launch_gateway`, killing the JVM if the launch is interrupted.

    Interrupted (Ctrl-C, SIGTERM) before the JVM has written where it
    listens, PySpark deletes the file it was to write and leaves the JVM
    behind, which then waits for a connection forever (and its watch on
    this process's exit never starts). So the process PySpark starts is
    noted on the way, and killed if the launch does not finish.
    """
    from pyspark import java_gateway

    started = []

    def popen(*args, **kwargs):
        started.append(subprocess.Popen(*args, **kwargs))
        return started[-1]

    original, java_gateway.Popen = java_gateway.Popen, popen
    try:
        return java_gateway.launch_gateway(conf, popen_kwargs=popen_kwargs)
    except BaseException:
        for process in started:
            process.kill()  # spark-submit execs the JVM: this is the JVM
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        raise
    finally:
        java_gateway.Popen = original


_failures = []  # what failed in this process: then its log is kept for the user to read


def _remove_log_unless_failed() -> None:
    if not _failures:
        with contextlib.suppress(OSError):
            log_path().unlink()


def log_path() -> Path:
    """Where the JVM started by `start_session` writes its messages."""
    return Path(tempfile.gettempdir()) / f"w2v-spark-{os.getpid()}.log"


def _log_level() -> str:
    # The log goes to a file (or, debugging, to the terminal): warnings help there.
    return "warn"


def _log_settings() -> str:
    """A Log4j 2 settings file for the JVM, written once per process."""
    path = Path(tempfile.gettempdir()) / f"w2v-spark-log4j2-{os.getpid()}.properties"
    path.write_text(_LOG4J2.format(level=_log_level()))
    return str(path)


def active_session(spark=None):
    """``spark`` if given, else the session already running in this process;
    a `SparkError` if there is none."""
    import_pyspark()
    if spark is not None:
        return spark
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        raise SparkError("no Spark session is running: pass spark=SparkSession or a DataFrame, "
                         "or start one with w2v.spark.start_session('local[4]')")
    return session


@contextlib.contextmanager
def spark_errors(doing: str):
    """Turn what Spark raises while ``doing`` into one-line w2v errors.

    A w2v error raised in a task on an executor comes back as the same
    error; a task that could not import w2v says how to install it; any
    other failure is a `SparkError` with Spark's own first line of reason.
    """
    try:
        yield
    except W2VError:
        raise
    except Exception as error:  # Py4JJavaError, PySparkException and their kin
        if not _from_spark(error) or os.environ.get("W2V_DEBUG"):
            raise
        raise translate(error, doing) from None


def _from_spark(error: BaseException) -> bool:
    module = type(error).__module__ or ""
    return module.startswith(("py4j", "pyspark")) or "Java" in type(error).__name__


# 'w2v.errors.CorpusError: message' in a Python traceback from an executor.
_W2V_ERROR_LINE = re.compile(r"^(?:w2v\.[\w.]*\.)?(\w+Error): (.+)$", re.MULTILINE)
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")


def translate(error: BaseException, doing: str) -> W2VError:
    """The w2v error that stands for ``error``, raised by Spark while ``doing``."""
    _failures.append(doing)
    text = str(error)
    missing = _MISSING_MODULE.search(text)
    if missing:
        return SparkError(f"{doing}: an executor's Python has no module {missing.group(1)!r}: "
                          f"install w2v and its needs where the executors run ({INSTALL_HINT}), "
                          "or set PYSPARK_PYTHON to a Python that has them")
    for name, message in _W2V_ERROR_LINE.findall(text):
        kind = getattr(errors, name, None)
        if isinstance(kind, type) and issubclass(kind, W2VError):
            return _same_error(kind, message.strip())
        if name == "SparkError":
            return SparkError(message.strip())
    log = f" (Spark's log: {log_path()})" if log_path().exists() else ""
    return SparkError(f"{doing} failed: {_reason(text)}{log}")


def _same_error(kind: type, message: str) -> W2VError:
    try:
        return kind(message)
    except TypeError:  # a subclass whose constructor wants more than a message
        return W2VError(message)


def _reason(text: str) -> str:
    """The most telling line of a Spark failure: the last line of an executor's
    Python traceback, or else Spark's first line, cut to a readable length."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    python = [line for line in lines if re.match(r"^[A-Z]\w*(Error|Exception): ", line)]
    pick = python[-1] if python else (lines[0] if lines else "unknown error")
    pick = re.sub(r"^An error occurred while calling [\w.$]+\.\s*:?\s*", "", pick)
    return pick if len(pick) <= 300 else pick[:297] + "..."
