"""The README's Python example runs as written."""

import re

from conftest import ROOT, SAMPLE


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(example.replace("data/sample-en.txt", str(SAMPLE)), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "germany" in printed  # a neighbour of france, even on the small sample
    assert (tmp_path / "sample.w2v").exists()
