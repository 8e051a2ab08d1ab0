"""Every benchmark on both databases, then one table of their RESULT lines: what `make bench` runs.

    .venv/bin/python bench/all.py [--quick] [--only read,write] [--database sqlite|postgresql|both]

Each script runs as its own process (its output is shown as it comes); each prints one `RESULT` line per
figure it compares with a target: the figure, what it is compared with, and whether the target is met.
`--quick` passes smaller sizes (fewer comments, shorter runs) for a first look in a few minutes; the figures
of the README come from the full sizes. The exit status is non-zero when a benchmark found something wrong
(a lost comment, a 5xx, a wrong page or export), not when a target was missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# script -> (options of a full run, options of a quick run); None in place of a database: it has none.
BENCHMARKS = {
    "read": ([], ["--seconds", "5", "--warmup", "2", "--background", "1000"]),
    "write": ([], ["--comments", "500"]),
    "export": ([], ["--comments", "20000"]),
    "moderation_queue": ([], ["--comments", "20000", "--page", "100", "--repeat", "10"]),
    "render": ([], ["--repeat", "2"]),
    "search": ([], ["--comments", "20000", "--repeat", "5"]),
    "similar": ([], ["--size", "20000", "--adds", "50"]),
}
WITHOUT_DATABASE = {"render"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks (all)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results: list[tuple[str, str]] = []
    failed: list[str] = []
    for name in [name.strip() for name in args.only.split(",") if name.strip()]:
        full, quick = BENCHMARKS[name]
        for database in [None] if name in WITHOUT_DATABASE else databases:
            options = [*(quick if args.quick else full), *(["--database", database] if database else [])]
            label = f"{name} {database or ''}".strip()
            lines, status, seconds = run(name, options)
            results += [(label, line) for line in lines] or [(label, "(no RESULT line)")]
            if status != 0:
                failed.append(f"{label} (exit {status})")
            print(f"== {label}: {seconds:.0f} s, exit {status}", flush=True)
    summary(results, failed)
    return 1 if failed else 0


def run(name: str, options: list[str]) -> tuple[list[str], int, float]:
    """Run one benchmark, echoing its output; its RESULT lines, exit status and duration."""
    command = [sys.executable, str(HERE / f"{name}.py"), *options]
    print(f"\n== {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.strip().startswith("RESULT "):
            lines.append(line.strip().removeprefix("RESULT ").strip())
    return lines, process.wait(), time.monotonic() - started


def summary(results: list[tuple[str, str]], failed: list[str]) -> None:
    print("\n== summary (one line per figure: the figure, what it is compared with, the target)")
    width = max((len(label) for label, _ in results), default=0)
    for label, line in results:
        print(f"  {label.ljust(width)}  {line.removeprefix(label.split()[0]).strip()}")
    for label in failed:
        print(f"  FAILURE: {label}: something was wrong (see its output above)")


if __name__ == "__main__":
    sys.exit(main())
