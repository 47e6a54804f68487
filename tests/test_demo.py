"""`python -m skfcnn`, the demo a new user runs first."""

import re
import subprocess
import sys


def test_demo_runs_and_reports_good_scores():
    result = subprocess.run(
        [sys.executable, "-m", "skfcnn"], capture_output=True, text=True, timeout=120, check=True
    )
    out = result.stdout
    assert float(re.search(r"test accuracy\s+: ([\d.]+)", out).group(1)) >= 0.97
    assert float(re.search(r"held-out R\^2\s+: ([\d.]+)", out).group(1)) >= 0.99
    assert "ConvergenceWarning" not in result.stderr
