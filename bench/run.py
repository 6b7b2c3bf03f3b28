"""Run every benchmark side by side with its peer and print the ratios (`make bench`)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Each module has run() -> list of printed lines; later modules join this list.
BENCHMARKS = ["ingest", "features", "tiles", "map"]


def main() -> int:
    """Run the benchmarks named on the command line, or all of them."""
    chosen = sys.argv[1:] or BENCHMARKS
    for name in chosen:
        module = importlib.import_module(f"bench_{name}")
        print(f"== {name}", flush=True)
        for line in module.run():
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
