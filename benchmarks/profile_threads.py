"""Where a training run's time goes, thread by thread (issue 17, item 3).

    py-spy record --format raw -o benchmarks/work/profile.txt --threads --native -r 40 -- \
        python benchmarks/profile_threads.py train sg 2
    python benchmarks/profile_threads.py summary benchmarks/work/profile.txt

``train MODE EPOCHS`` trains on benchmarks/work/corpus-en-10000k.txt (the
first 10M tokens; `benchmarks/spark.py` makes it) with 2 workers and
defaults; ``summary`` reads py-spy's raw stacks and prints, per thread, the
samples in which it was busy and the Python lines it was busy at (numba's
kernels are one line each: their insides are native code).
"""
import collections
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def train(mode: str, epochs: int) -> None:
    sys.path.insert(0, str(HERE.parent))
    import w2v
    model = w2v.Word2Vec(sg=mode == "sg", epochs=epochs, workers=2, seed=1)
    model.train(HERE / "work" / "corpus-en-10000k.txt", progress=None)
    print(f"{model.training_seconds_:.1f} s, "
          f"{model.words_trained_ / model.training_seconds_:,.0f} words/s")


def summary(path: str, lines: int = 6) -> None:
    busy, where = collections.Counter(), collections.defaultdict(collections.Counter)
    for record in open(path):
        stack, samples = record.rstrip().rsplit(" ", 1)
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1]
        python = [frame for frame in frames if ".py:" in frame]
        busy[thread] += int(samples)
        where[thread][python[-1] if python else "(native, outside Python)"] += int(samples)
    for thread, samples in busy.most_common():
        print(f"{thread}: {samples} busy samples")
        for frame, count in where[thread].most_common(lines):
            print(f"    {100 * count / samples:5.1f}%  {frame}")


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]))
    else:
        summary(sys.argv[2])
