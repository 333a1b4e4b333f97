"""The load check of the hardening review, bounded for CI: ``bench/web_load.py`` with
20 clients on ``/api/search`` of a two-worker ``fanzha serve`` while a real nightly
writes into the same archive (loopback only). What is asserted is correctness under
load, no figure: every request answered without an error. The figures (req/s, p95,
the workers' ratio) come from the full bench run, quoted in docs/benchmarks.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_search_under_load_while_a_nightly_writes_has_no_errors():
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "web_load.py"),
            "--seconds",
            "6",
            "--warmup",
            "1",
            "--write",
            "20",
            "--batch",
            "5",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "errors 0" in proc.stdout
    assert "Traceback" not in proc.stderr
