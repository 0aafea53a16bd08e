"""Run every benchmark in bench/ in turn, printing their figures (`make bench`).

Each benchmark is a script that prints what it measured; they are long (minutes each) and run
outside the test suite on purpose.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ORDER = [
    "bench_location.py",
    "bench_mkp.py",
    "bench_plan.py",
    "bench_integrality.py",
    "bench_siting.py",
    "bench_compare.py",
    "bench_sweep.py",
]


def main() -> int:
    failed = []
    for name in ORDER:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        if subprocess.call([sys.executable, str(script)]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
