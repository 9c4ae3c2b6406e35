"""Every benchmark still imports: a rename in the package must not leave one broken until
somebody next runs it (benchmarks are not run by the tests; their extras may be missing here)."""

from __future__ import annotations

import importlib
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
