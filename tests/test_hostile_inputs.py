"""Input as a hostile or careless user gives it: pipes and devices, tokens
longer than any buffer, binary files to every reader, broken CSV quoting,
endless streams (to the disk and to memory) and FIFOs that nobody writes to.
Each class is tested through the library and through the real CLI, in a
subprocess with a timeout so that a hang fails instead of blocking."""

import gc
import gzip
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import w2v
from w2v import corpus as corpus_module
from w2v import sessions as sessions_module
from w2v import sources
from w2v.corpus import Corpus, ReadStats, open_text, read_sentences
from w2v.errors import CorpusError, W2VError
from w2v.sessions import read_baskets, read_interactions, read_item_titles, read_sessions

W2V = str(Path(sys.executable).with_name("w2v"))
TEXT = "".join(f"the cat {i % 7} sat on mat {i % 5}, then slept.\n" for i in range(300))
TABLE = "user,item,timestamp\n" + "".join(f"u{i % 9},i{i % 13},{i}\n" for i in range(200))
TRAIN = "--min-count 1 --sample 0 --epochs 1 --dim 8 --workers 1 --seed 3 -q"


def shell(command: str, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    """Run ``command`` in bash, with ``$W2V`` the installed command."""
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "W2V": W2V, **env})


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The run failed with exit status 1 and one ``Error:`` line, no traceback."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


@contextmanager
def fifo_with(path: Path, data: bytes):
    """A FIFO at ``path`` that a thread fills with ``data`` once it is opened."""
    os.mkfifo(path)

    def feed():
        with open(path, "wb") as fifo:
            fifo.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    yield path
    thread.join(timeout=10)


@contextmanager
def pipe_with(data: bytes):
    """``/dev/fd/N`` naming the read end of a pipe that a thread fills, as bash's ``<(...)``."""
    read_end, write_end = os.pipe()

    def feed():
        with open(write_end, "wb") as pipe:
            try:
                pipe.write(data)
            except BrokenPipeError:
                pass  # the reader refused the data before the end

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield f"/dev/fd/{read_end}"
    finally:
        os.close(read_end)  # first: a writer blocked on a reader that gave up gets EPIPE
        thread.join(timeout=10)


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)
    return path


# --- 1. inputs that are not regular files --------------------------------------------


def test_a_corpus_on_a_fifo_is_read_once_and_gives_every_pass(tmp_path, text_file):
    expected = list(read_sentences(text_file))
    with fifo_with(tmp_path / "fifo", TEXT.encode()) as fifo:
        corpus = Corpus(fifo)
    first, second = list(corpus), list(corpus)
    assert first == second == expected
    assert corpus.stats.sentences == 300


def test_a_corpus_on_a_process_substitution_pipe_reads_gzip(text_file):
    # The compression is sniffed from the copy: the first bytes are not lost.
    with pipe_with(gzip.compress(TEXT.encode())) as pipe:
        corpus = Corpus(pipe)
    assert list(corpus) == list(corpus) == list(read_sentences(text_file))


def test_read_sentences_reads_a_pipe_in_one_pass(text_file):
    with pipe_with(TEXT.encode()) as pipe:
        assert list(read_sentences(pipe)) == list(read_sentences(text_file))


def test_dash_is_standard_input_for_every_reader():
    program = ("from w2v.corpus import Corpus; from w2v.sessions import read_sessions; "
               "import sys; reader = sys.argv[1]; "
               "c = Corpus('-') if reader == 'corpus' else None; "
               "print(*([len(list(c)), len(list(c))] if c else [read_sessions('-').stats.items]))")
    for reader, data, expected in [("corpus", TEXT, "300 300"), ("sessions", TABLE, "200")]:
        done = subprocess.run([sys.executable, "-c", program, reader], input=data,
                              capture_output=True, text=True, timeout=60)
        assert done.stdout.strip() == expected, done.stderr


def test_a_closed_standard_input_is_refused(tmp_path):
    done = shell(f"$W2V train - -o {tmp_path / 'm.w2v'} -q <&-", timeout=60)
    assert "cannot open standard input: standard input is closed" in one_error_line(done)


@pytest.mark.parametrize("data", [b"ab\n", b"", b"x", "é".encode(), gzip.compress(b"zipped words\n")])
def test_open_text_on_a_pipe_loses_no_first_bytes(data):
    with pipe_with(data) as pipe, open_text(pipe) as stream:
        text = stream.read()
    assert text == (gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data).decode()


def test_open_text_still_sniffs_a_regular_file_and_reads_it_whole(tmp_path):
    path = tmp_path / "misnamed.txt"
    path.write_bytes(gzip.compress(TEXT.encode()))
    with open_text(path) as stream:
        assert stream.read() == TEXT


def test_an_empty_pipe_is_an_empty_corpus():
    with pipe_with(b"") as pipe:
        corpus = Corpus(pipe)
    assert list(corpus) == [] and list(corpus) == []
    with pytest.raises(W2VError, match="no tokens"):
        w2v.Word2Vec(min_count=1).train(corpus, progress=None)


def test_the_copy_is_deleted_when_the_corpus_is_closed_or_collected():
    with pipe_with(TEXT.encode()) as pipe:
        corpus = Corpus(pipe)
    copy = corpus._spool._file
    with corpus:
        assert len(list(corpus)) == 300
    assert copy.closed
    with pytest.raises(W2VError, match="closed"):
        iter(corpus)
    with pipe_with(TEXT.encode()) as pipe:
        corpus = Corpus(pipe)
    copy = corpus._spool._file
    del corpus
    gc.collect()
    assert copy.closed


def test_a_full_tmpdir_while_copying_is_one_corpus_error(monkeypatch):
    # /dev/full fails every write with ENOSPC, as a full disk does.
    monkeypatch.setattr(sources.tempfile, "TemporaryFile", lambda: open("/dev/full", "w+b"))
    with pipe_with(TEXT.encode() * 100) as pipe:
        with pytest.raises(CorpusError, match=r"no room in TMPDIR \(.*\) for the copy of /dev/fd/"):
            Corpus(pipe)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_binary_devices_are_refused_at_once(device):
    with pytest.raises(CorpusError, match="looks like a binary file"):
        Corpus(device)


def test_special_files_in_a_folder_are_skipped_and_counted(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("one two\n")
    os.mkfifo(folder / "b.fifo")  # no writer: opening it would block forever
    os.symlink("/dev/zero", folder / "c-zero")
    program = ("import sys; from w2v.corpus import ReadStats, read_sentences; s = ReadStats(); "
               "print(list(read_sentences(sys.argv[1], stats=s)), s.special_files_skipped, s.files)")
    done = subprocess.run([sys.executable, "-c", program, str(folder)], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split("\n")[0] == "[['one', 'two']] 2 1", done.stderr
    (folder / "a.txt").unlink()
    with pytest.raises(CorpusError, match="no files in folder .* and 2 that are not regular files"):
        read_sentences(folder)


def test_session_readers_read_a_pipe_once_without_losing_the_header(tmp_path):
    with fifo_with(tmp_path / "table", TABLE.encode()) as fifo:
        table = read_sessions(fifo)  # the header sniff peeks at the first line
    assert table.stats.items == 200 and len(set(table.users)) == 9
    with pipe_with(b"a b\nc d\n") as pipe:
        assert read_sessions(pipe).sessions == [["a", "b"], ["c", "d"]]
    with pipe_with(TABLE.encode()) as pipe:
        assert read_interactions(pipe).stats.items == 200
    with pipe_with(b"a b\n") as pipe:
        assert read_baskets(pipe).sessions == [["a", "b"]]
    with pipe_with("1|Caf\xe9\n".encode("latin-1")) as pipe:
        assert read_item_titles(pipe) == {"1": "Café"}


@pytest.fixture(scope="module")
def file_and_model(tmp_path_factory):
    """The text as a file, and the model trained on it."""
    folder = tmp_path_factory.mktemp("trained")
    path, model = folder / "corpus.txt", folder / "file.w2v"
    path.write_text(TEXT)
    done = shell(f"$W2V train {path} -o {model} {TRAIN}")
    assert done.returncode == 0, done.stderr
    return path, w2v.load(model)


@pytest.mark.parametrize("source", ["cat {f} | $W2V train - ", "cat {f} | $W2V train /dev/stdin ",
                                    "$W2V train <(cat {f}) ", "gzip -c {f} | $W2V train - "])
def test_cli_trains_on_a_pipe_as_on_the_file(tmp_path, file_and_model, source):
    text_file, from_file = file_and_model
    pipe_model = tmp_path / "pipe.w2v"
    done = shell(source.format(f=text_file) + f"-o {pipe_model} {TRAIN}")
    assert done.returncode == 0, done.stderr
    from_pipe = w2v.load(pipe_model)
    assert from_pipe.words_trained_ == from_file.words_trained_ == 300 * 9
    assert np.array_equal(from_pipe.W_in_, from_file.W_in_)


def test_cli_refuses_an_empty_pipe_and_saves_nothing(tmp_path):
    done = shell(f"true | $W2V train - -o {tmp_path / 'm.w2v'} {TRAIN}", timeout=60)
    assert "no tokens" in one_error_line(done)
    assert not (tmp_path / "m.w2v").exists()


def test_cli_says_when_tmpdir_has_no_room_for_the_copy(tmp_path, text_file):
    spool = tmp_path / "spool"
    spool.mkdir()
    # A 64 KiB file size limit (SIGXFSZ ignored, so a write fails with EFBIG) stands in for a full disk.
    big = tmp_path / "big.txt"
    big.write_text(TEXT * 100)
    done = shell(f"ulimit -f 64; trap '' XFSZ; cat {big} | $W2V train - -o {tmp_path / 'm.w2v'} "
                 f"{TRAIN}", timeout=60, TMPDIR=str(spool))
    assert f"no room in TMPDIR ({spool})" in one_error_line(done)


def test_cli_item2vec_reads_a_table_from_a_pipe(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(TABLE)
    done = shell(f"cat {table} | $W2V item2vec - -o {tmp_path / 'i.w2v'} --epochs 1 -q")
    assert done.returncode == 0, done.stderr
    assert len(w2v.load(tmp_path / "i.w2v").vocab_) == 13


# --- 2. tokens longer than the read buffer --------------------------------------------


def test_tokens_of_a_five_megabyte_line_are_whole_and_the_over_long_one_is_counted(tmp_path):
    path = tmp_path / "a.txt"
    giant = "z" * (corpus_module.MAX_TOKEN_CHARS + 10)
    path.write_text("alpha,beta;gamma." * 300_000 + giant + ";alpha\n")
    stats = ReadStats()
    tokens = [token for sentence in read_sentences(path, stats=stats) for token in sentence]
    assert tokens == ["alpha", "beta", "gamma"] * 300_000 + ["alpha"]
    assert stats.long_tokens_dropped == 1


def test_cli_vocabulary_of_a_long_punctuated_line_has_only_real_words(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("alpha,beta;gamma." * 100_000 + "\n")  # 1.7 MB: 26 cuts
    done = shell(f"$W2V train {path} -o {tmp_path / 'm.w2v'} {TRAIN}", timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(w2v.load(tmp_path / "m.w2v").vocab_.words) == ["alpha", "beta", "gamma"]


# --- 3. binary input to every reader ------------------------------------------------


def _zip_bytes(tmp_path) -> bytes:
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", TABLE)
    return path.read_bytes()


BINARIES = {
    "data.parquet": (b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00" * 50 + b"PAR1",
                     "an Apache Parquet file"),
    "picture.png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "a PNG image"),
    "random.bin": (random.Random(0).randbytes(20_000).replace(b"\x00", b"\x01"),
                   "are not UTF-8 text"),
    "zeros.bin": (bytes(5000), "found NUL bytes"),
    "cyrillic-cp1251.txt": ("Съешь же ещё этих мягких французских булок\n".encode("cp1251") * 50,
                            "convert it"),
}


def _binary(tmp_path, name) -> tuple[Path, str]:
    path = tmp_path / name
    data, reason = BINARIES[name]
    path.write_bytes(data)
    return path, reason


@pytest.mark.parametrize("name", sorted(BINARIES))
@pytest.mark.parametrize("reader", [lambda p: list(read_sentences(p)), lambda p: list(Corpus(p)),
                                    read_sessions,
                                    read_baskets, read_interactions, read_item_titles])
def test_every_reader_refuses_binary_data(tmp_path, name, reader):
    path, reason = _binary(tmp_path, name)
    with pytest.raises(CorpusError, match=f"{path} looks like a binary file.*{reason}"):
        reader(path)


def test_a_zip_archive_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "data.zip"
    path.write_bytes(_zip_bytes(tmp_path))
    with pytest.raises(CorpusError, match=r"a zip archive .*: unzip it"):
        read_sessions(path)


def test_text_that_starts_like_a_binary_signature_is_still_text(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("PAR1 is a part number\n%PDF- too\n")
    assert list(read_sentences(path)) == [["par1", "is", "a", "part", "number"], ["pdf", "too"]]


def test_text_with_some_latin1_bytes_is_still_text(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("déjà vu, café crème à la française\n".encode("latin-1") * 100)
    stats = ReadStats()
    assert len(list(read_sentences(path, stats=stats))) == 100
    assert stats.replaced_chars == 600
    assert read_baskets(path).stats.sessions == 100


@pytest.mark.parametrize("command", ["item2vec {p} -o {o} --epochs 1 -q",
                                     "train {p} -o {o} --epochs 1 -q"])
@pytest.mark.parametrize("name", ["data.parquet", "random.bin"])
def test_cli_refuses_binary_data_to_train_on(tmp_path, command, name):
    path, reason = _binary(tmp_path, name)
    output = tmp_path / "m.w2v"
    done = shell(f"$W2V {command.format(p=path, o=output)}", timeout=60)
    assert reason in one_error_line(done)
    assert not output.exists()
    piped = shell(f"cat {path} | $W2V {command.format(p='-', o=output)}", timeout=60)
    assert "standard input looks like a binary file" in one_error_line(piped)


def test_cli_recommend_refuses_a_binary_items_file(tmp_path):
    baskets = tmp_path / "b.txt"
    baskets.write_text("a b c\nb c d\n" * 20)
    model = tmp_path / "i.w2v"
    assert shell(f"$W2V item2vec {baskets} -o {model} --epochs 1 -q").returncode == 0
    picture, _ = _binary(tmp_path, "picture.png")
    done = shell(f"$W2V recommend a -m {model} --items-file {picture}", timeout=60)
    assert "looks like a binary file (a PNG image)" in one_error_line(done)


# --- 4. CSV quoting in interaction tables ---------------------------------------------


def _table_with_a_stray_quote(rows: int) -> str:
    # Sessions of three items, so that training takes no time.
    lines = ["user,item,timestamp"] + [f"u{row // 3},i{row},{row}" for row in range(1, rows + 1)]
    lines[5] = 'u1,"i5,5'  # row 5 opens a quote it never closes
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rows", [3_000, 30_000])
def test_cli_item2vec_skips_the_row_with_a_stray_quote_and_reads_the_rest(tmp_path, rows):
    table = tmp_path / "t.csv"
    table.write_text(_table_with_a_stray_quote(rows))
    model = tmp_path / "i.w2v"
    done = shell(f"$W2V item2vec {table} -o {model} --epochs 1 -q", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "1 bad rows skipped (line 6: a quoted field is not closed" in done.stderr
    assert len(w2v.load(model).vocab_) == rows - 1


def test_cli_item2vec_refuses_the_stray_quote_under_on_bad_rows_error(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(_table_with_a_stray_quote(3_000))
    done = shell(f"$W2V item2vec {table} -o {tmp_path / 'i.w2v'} --on-bad-rows error -q",
                 timeout=60)
    assert "t.csv, line 6: a quoted field is not closed within 100 lines" in one_error_line(done)


def test_cli_min_rating_nan_is_refused_before_reading(tmp_path):
    done = shell(f"$W2V item2vec {tmp_path / 'missing.csv'} -o {tmp_path / 'i.w2v'} "
                 "--min-rating nan", timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr  # a usage error
    assert "Error: Invalid value for '--min-rating': 'nan' is not a finite number" in done.stderr


# --- 5. endless and silent inputs --------------------------------------------------------


def _disk_of(total: int, free_before: int):
    """A stand-in for os.fstatvfs: a disk of ``total`` bytes whose free space
    is ``free_before`` less what the file being written holds."""
    def fstatvfs(fd):
        free = free_before - os.fstat(fd).st_size
        return SimpleNamespace(f_frsize=4096, f_blocks=total // 4096, f_bavail=max(free, 0) // 4096)
    return fstatvfs


def test_the_copy_of_a_stream_stops_before_tmpdir_falls_below_its_reserve(monkeypatch):
    # 1 GiB disk, 60 MiB free: the reserve is 5% (51.2 MiB), so the copy may take
    # at most 8.8 MiB; it is looked at every 4 MiB, and stops at the look after 8 MiB (and
    # the first 64 KiB, read alone for the binary check).
    monkeypatch.setattr(sources.os, "fstatvfs", _disk_of(1 << 30, 60 << 20))
    with pipe_with(b"the cat sat\n" * (2 << 20)) as pipe:  # 24 MiB
        with pytest.raises(CorpusError, match=r"/dev/fd/\d+ is too long to copy to TMPDIR \(.+\): "
                           r"stopped after reading 8\.5 MB, with 54\.5 MB left free there; set "
                           r"TMPDIR to a folder with more room, or save the input to a regular"):
            Corpus(pipe)


def test_a_stream_shorter_than_the_first_look_is_copied_whatever_the_room(monkeypatch):
    monkeypatch.setattr(sources.os, "fstatvfs", _disk_of(1 << 30, 0))  # a full disk, as it says
    with pipe_with(TEXT.encode()) as pipe:
        assert len(list(Corpus(pipe))) == 300  # less than 4 MiB: never looked at


def test_max_spool_bytes_bounds_the_copy(text_file):
    with pipe_with(TEXT.encode()) as pipe:
        with pytest.raises(CorpusError, match=r"/dev/fd/\d+ is longer than the 1\.0 kB that a copy "
                                              r"of it may take \(max_spool_bytes\)"):
            Corpus(pipe, max_spool_bytes=1000)
    with pipe_with(TEXT.encode()) as pipe:
        assert len(list(Corpus(pipe, max_spool_bytes=len(TEXT)))) == 300
    with pytest.raises(w2v.SettingsError, match="max_spool_bytes must be"):
        Corpus(text_file, max_spool_bytes=0)


def test_cli_stops_an_endless_standard_input_before_a_small_tmpdir_is_full(tmp_path):
    """Through a real 32 MiB tmpfs, in a mount namespace of its own (root only)."""
    if shutil.which("unshare") is None or shell("unshare -m true", timeout=30).returncode != 0:
        pytest.skip("needs unshare -m (root) for a private tmpfs")
    small = tmp_path / "small"
    small.mkdir()
    script = (f"mount -t tmpfs -o size=32m tmpfs {small} || exit 77; yes 'the cat sat' | "
              f"TMPDIR={small} $W2V train - -o {tmp_path / 'm.w2v'} {TRAIN}")
    done = shell(f"unshare -m bash -c {shlex.quote(script)}", timeout=120)
    if done.returncode == 77:
        pytest.skip("cannot mount a tmpfs here")
    line = one_error_line(done)
    assert f"standard input is too long to copy to TMPDIR ({small}): stopped after reading" in line
    assert "No space left" not in line  # stopped by the bound, not by a full disk


def _w2v_start_size() -> int:
    """Bytes of address space the w2v command takes before it reads anything."""
    program = ("import resource, w2v_cli.main; "
               "print(int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize())")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60)
    return int(done.stdout)


@pytest.fixture(scope="module")
def item_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("items")
    (folder / "b.txt").write_text("a b c\nb c d\n" * 20)
    model = folder / "i.w2v"
    assert shell(f"$W2V item2vec {folder / 'b.txt'} -o {model} --epochs 1 -q").returncode == 0
    return model


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc/self/statm")
@pytest.mark.parametrize("command, holds", [
    ("yes 'a b c' | {limit}; exec $W2V item2vec - -o {out} -q)", "sessions"),
    ("(echo user,item; seq -f 'u%.0f,i1' 1 inf) | {limit}; exec $W2V item2vec - -o {out} -q)",
     "sessions"),
    ("{limit}; exec $W2V recommend a -m {model} --items-file <(seq -f 'x%.0f|t' 1 inf))",
     "item titles"),
])
def test_an_endless_pipe_of_sessions_or_titles_stops_before_memory_runs_out(
        tmp_path, item_model, command, holds):
    # Room for the reserve (256 MiB) and some 200 MB of sessions: seconds of reading.
    limit = f"(ulimit -v {(_w2v_start_size() + (450 << 20)) // 1024}"
    done = shell(command.format(limit=limit, out=tmp_path / "y.w2v", model=item_model),
                 timeout=120)
    line = one_error_line(done)
    assert f"holds more {holds} than fit in memory: stopped after reading" in line
    assert "out of memory" not in line and "MemoryError" not in done.stderr


def test_session_readers_stop_when_the_memory_left_is_below_the_reserve(tmp_path, monkeypatch):
    path = tmp_path / "b.txt"
    path.write_text("a b c\n" * 400_000)  # 2.4 MB: two looks at the memory left
    looks = []
    monkeypatch.setattr(sessions_module, "_memory_left",
                        lambda: looks.append(1) or (1 << 40 if len(looks) < 2 else 1 << 20))
    with pytest.raises(CorpusError, match=rf"{path} holds more sessions than fit in memory: "
                                          r"stopped after reading 349,526 lines \(2\.1 MB\), "
                                          r"with 1\.0 MB of memory left"):
        read_baskets(path)
    assert len(looks) == 2


def test_a_memory_error_while_reading_is_the_same_corpus_error(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text(TABLE)

    def no_memory(*args):
        raise MemoryError
    monkeypatch.setattr(sessions_module, "_group", no_memory)
    with pytest.raises(CorpusError, match=f"{path} holds more sessions than fit in memory: "
                                          "stopped after reading 201 lines") as caught:
        read_interactions(path)
    assert caught.value.__context__ is None  # the frames that held the rows are freed


def test_memory_left_subtracts_what_the_process_already_takes_of_its_address_space():
    program = ("import resource; from w2v.sessions import _memory_left; "
               "resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.RLIM_INFINITY)); "
               "size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize(); "
               "print(size, _memory_left())")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60)
    size, left = map(int, done.stdout.split())
    assert abs(left - ((8 << 30) - size)) < 64 << 20 or left < (8 << 30) - size


def test_memory_left_in_a_cgroup_counts_the_page_cache_as_free(tmp_path, monkeypatch):
    (tmp_path / "memory.max").write_text("4000000000\n")
    (tmp_path / "memory.current").write_text("3000000000\n")
    (tmp_path / "memory.stat").write_text("anon 900000000\nfile 2000000000\nshmem 100000000\n")
    monkeypatch.setattr(sessions_module, "_CGROUP_FOLDER", tmp_path)
    # 3 GB in use, of which 1.9 GB is page cache that can be reclaimed: 2.9 GB left.
    assert sessions_module._cgroup_memory_left() == 2_900_000_000
    (tmp_path / "memory.max").write_text("max\n")
    assert sessions_module._cgroup_memory_left() is None


def waiting(fifo) -> str:
    return f"waiting for a program to write to the FIFO {fifo} (Ctrl-C to stop)"


@contextmanager
def late_fifo(path: Path, data: bytes, delay: float):
    """A FIFO at ``path`` that a thread opens and fills only ``delay`` seconds from now."""
    os.mkfifo(path)

    def feed():
        time.sleep(delay)
        with open(path, "wb") as fifo:
            fifo.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    yield path
    thread.join(timeout=10)


def test_a_silent_fifo_is_waited_for_with_one_warning_then_read(tmp_path, text_file):
    with late_fifo(tmp_path / "fifo", TEXT.encode(), delay=1.5) as fifo:
        with pytest.warns(UserWarning) as caught:
            sentences = list(read_sentences(fifo))
    assert sentences == list(read_sentences(text_file))
    assert [str(w.message) for w in caught] == [waiting(fifo)]


def test_a_fifo_with_a_prompt_writer_gives_no_warning(tmp_path):
    with fifo_with(tmp_path / "fifo", TEXT.encode()) as fifo, warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(Corpus(fifo))) == 300


def test_a_fifo_whose_writer_came_and_went_is_empty_not_a_hang(tmp_path):
    # Linux reports a hang-up to a reader only for a writer that came after it
    # opened the FIFO; one that came before is as if it never did.
    with late_fifo(tmp_path / "fifo", b"", delay=0.3) as fifo:
        with sources.open_bytes(fifo) as stream:
            assert stream.read() == b""


def _collected(stream) -> tuple[list[str], threading.Thread]:
    """The lines of ``stream`` (a subprocess's stderr), gathered by a thread as they come."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")), daemon=True)
    reader.start()
    return lines, reader


def _wait_for(lines: list[str], text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in list(lines) if text in line]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no line with {text!r} within {timeout} s: {lines}")


FIFO_COMMANDS = {
    "train": "train {fifo} -o {out} " + TRAIN,
    "item2vec": "item2vec {fifo} -o {out} --epochs 1 -q",
    "recommend": "recommend a -m {model} --items-file {fifo}",
}


@pytest.mark.parametrize("command", sorted(FIFO_COMMANDS))
@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_waiting_for_a_fifo_says_so_and_stops_at_once_on_a_signal(
        tmp_path, item_model, command, signum, status):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    arguments = FIFO_COMMANDS[command].format(fifo=fifo, out=tmp_path / "m.w2v", model=item_model)
    process = subprocess.Popen([W2V, *arguments.split()], stderr=subprocess.PIPE, text=True)
    try:
        lines, reader = _collected(process.stderr)
        line = _wait_for(lines, "waiting for", timeout=60)
        assert line == f"warning: {waiting(fifo)}\n"
        process.send_signal(signum)
        assert process.wait(timeout=10) == status
        reader.join(timeout=10)
        said = "".join(lines)
        assert "Traceback" not in said
        last = said.strip().splitlines()[-1]
        assert last.startswith("interrupted" if signum == signal.SIGINT else "terminated"), said
    finally:
        process.kill()
        process.wait()
        process.stderr.close()


@pytest.mark.parametrize("through", ["fifo", "stdin"])
def test_cli_trains_on_what_a_late_writer_puts_in_a_fifo_or_pipe(tmp_path, file_and_model, through):
    text_file, from_file = file_and_model
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    model = tmp_path / "m.w2v"
    errors = tmp_path / "stderr"
    # The writer comes once w2v says it is waiting (at most 60 s later), not
    # after a fixed delay that a slow start-up on a loaded machine can outlast.
    late = f"for i in $(seq 600); do grep -q waiting {errors} 2>/dev/null && break; sleep 0.1; done"
    command, waited_for = {
        "fifo": (f"({late}; cat {text_file} > {fifo}) & $W2V train {fifo} -o {model} {TRAIN} "
                 f"2> {errors}; status=$?; wait; cat {errors} >&2; exit $status",
                 f"the FIFO {fifo}"),
        "stdin": (f"({late}; cat {text_file}) | $W2V train - -o {model} {TRAIN} 2> {errors}; "
                  f"status=$?; cat {errors} >&2; exit $status", "standard input"),
    }[through]
    done = shell(command, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"warning: waiting for a program to write to {waited_for} " \
                          "(Ctrl-C to stop)\n"
    from_fifo = w2v.load(model)
    assert from_fifo.words_trained_ == from_file.words_trained_
    assert np.array_equal(from_fifo.W_in_, from_file.W_in_)


def test_a_prompt_pipe_on_standard_input_gives_no_warning(text_file):
    done = subprocess.run([sys.executable, "-W", "error", "-c",
                           "from w2v.corpus import Corpus; print(len(list(Corpus('-'))))"],
                          input=TEXT, capture_output=True, text=True, timeout=60)
    assert (done.stdout, done.stderr) == ("300\n", "")
