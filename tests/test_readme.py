"""The README's Python snippets run as written, one after the other (in a temporary
folder: the skops snippet writes a file)."""

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _snippets():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_its_snippets():
    snippets = _snippets()
    assert len(snippets) == 3
    assert "sio.load(" in snippets[1] and "skfcnn.onnx.to_onnx(" in snippets[2]


def test_the_readme_snippets_run(tmp_path, monkeypatch, capsys):
    pytest.importorskip("skops", reason="skops is not installed (the README's skops snippet)")
    pytest.importorskip("skl2onnx", reason="skl2onnx is not installed (the ONNX snippet)")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges: not one warning
        for snippet in _snippets():
            exec(compile(snippet, str(README), "exec"), namespace)
    assert (tmp_path / "model.skops").is_file()
    assert namespace["clf"].predict(namespace["X"][:5]).shape == (5,)
    assert type(namespace["onx"]).__name__ == "ModelProto"
    out = capsys.readouterr().out
    assert float(re.search(r"best CV accuracy: (\S+)", out).group(1)) >= 0.95
