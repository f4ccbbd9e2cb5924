import io

from w2v.progress import Progress, format_count, format_duration


def test_formats():
    assert format_duration(3725) == "1:02:05" and format_duration(65) == "1:05"
    assert format_count(1_234_567) == "1.2M" and format_count(999) == "999"


def test_log_lines_show_percent_speed_eta_rate_and_loss(monkeypatch):
    clock = iter([100.0, 101.0, 111.0])
    monkeypatch.setattr("w2v.progress.time.perf_counter", lambda: next(clock))
    out = io.StringIO()
    progress = Progress(1000, stream=out, log_every=5)
    assert not progress.update(100, epoch=1, epochs=2, eta=0.025, loss=3.5)  # starts the clock
    assert not progress.update(200, epoch=1, epochs=2, eta=0.02, loss=3.0)  # too soon
    assert progress.update(600, epoch=2, epochs=2, eta=0.01, loss=2.5)
    line = out.getvalue().strip()
    # 500 words in the 11 s since the first update, 400 to go.
    assert line == "epoch 2/2   60.0%  45 words/s  ETA 0:09  lr 0.01000  loss 2.5000"


def test_silent_without_a_stream():
    progress = Progress(10, stream=None)
    assert not progress.update(10, epoch=1, epochs=1, eta=0.1, loss=1.0, force=True)
