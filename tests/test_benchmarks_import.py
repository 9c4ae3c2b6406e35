"""Every benchmark still imports: a rename in the package must not leave one broken until
somebody next runs it (benchmarks are not run by the tests; their extras may be missing here). The
real-speech benchmark's bad input is checked too: that needs neither recordings nor a model."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("name", sorted(path.stem for path in BENCHMARKS.glob("*.py")))
def test_the_benchmark_imports(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name and not err.name.startswith("voice_coach") and not (BENCHMARKS / f"{err.name}.py").exists():
            pytest.skip(f"{err.name} is a benchmark extra (pip install -e '.[bench]')")
        raise
    finally:
        sys.modules.pop(name, None)


@pytest.mark.parametrize("arguments,says", [
    (["--filler-weights", "1,x"], "--filler-weights 1,x: give whole numbers"),
    (["--filler-weights", "0,2"], "--filler-weights 0,2: a weight is at least 1"),
    ([], "no such folder"),
])
def test_the_real_speech_benchmark_refuses_bad_input_in_one_line(tmp_path, arguments, says):
    """Checked before any recording is read or the model loaded: one line, exit 2, no traceback."""
    result = subprocess.run([sys.executable, str(BENCHMARKS / "listen_real.py"), "--data", str(tmp_path / "none"),
                             *arguments], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr and "Traceback" not in result.stderr
