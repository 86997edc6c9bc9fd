"""`make bench`: run every bench/bench_*.py (or those named) and print their figures.

Each module has ``main(args) -> bool`` that prints ratios measured side by side in the same run
(plus absolute figures for reference) and returns whether its goals were met. The exit status is
non-zero when any goal is missed, so a budget that breaks fails loudly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="benchmark names, e.g. audit consent")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    names = args.only or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    results = {}
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench_{name}")
        results[name] = module.main(args)
        print(f"--- {name}: {'goal met' if results[name] else 'GOAL MISSED'} "
              f"({time.perf_counter() - started:.0f}s)", flush=True)
    print("\n=== summary ===")
    for name, ok in results.items():
        print(f"{name:12s} {'ok' if ok else 'MISSED'}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
