"""The full benchmark (not a test): issue 5's instance set, or every size with --sizes.

Run from the repository root:  .venv/bin/python tests/bench/full_bench.py [--time-limit 120]
Default: counties 46, 18 and 50 x 2,000 participants x normal, crunch, rare-language and
sick-leave at 120 s (sick-leave at most 30 s); about 45 minutes on the shared 2-core machine.
``--sizes 100,500,1000,2000`` runs every size. Writes the tables to stdout and the raw
results (runs, bound, targets) to test-artifacts/bench.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from solver.bench import main  # noqa: E402

if __name__ == "__main__":
    Path("test-artifacts").mkdir(exist_ok=True)
    sys.exit(main(["--counties", "46,18,50", "--json", "test-artifacts/bench.json", *sys.argv[1:]]))
