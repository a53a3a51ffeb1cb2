"""`python -m bench` (or `./dev bench`): every benchmark, one after the other, with its table."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [
    "bench.bench_skills",
    "bench.bench_matching",
    "bench.bench_startup",
    "bench.bench_web",
    "bench.bench_discourse",
    "bench.bench_matrix",
    "bench.bench_diffusion",
]


def main() -> int:
    wanted = sys.argv[1:] or BENCHMARKS
    failures = 0
    for module in wanted:
        module = module if module.startswith("bench.") else f"bench.{module}"
        if not (ROOT / (module.replace(".", "/") + ".py")).exists():
            print(f"\n== {module}: not there yet, skipped")
            continue
        print(f"\n== {module}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", module], cwd=ROOT)
        failures += result.returncode != 0
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
