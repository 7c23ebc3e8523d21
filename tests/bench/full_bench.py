"""The full benchmark (not a test): every size and scenario in three counties.

Run from the repository root:  .venv/bin/python tests/bench/full_bench.py [--time-limit 60]
Writes the table to stdout and the raw results to test-artifacts/bench.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solver.bench import main  # noqa: E402

if __name__ == "__main__":
    Path("test-artifacts").mkdir(exist_ok=True)
    sys.exit(main(["--counties", "46,18,50", "--json", "test-artifacts/bench.json", *sys.argv[1:]]))
