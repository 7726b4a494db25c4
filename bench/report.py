"""`python -m bench.report figures.json [http.json]`: the Markdown tables of docs/performance.md
from the benchmark's JSON (so the document shows what a run printed, not a retyped copy)."""

import json
import sys
from pathlib import Path


def main(paths: list[str]) -> None:
    for path in paths:
        data = json.loads(Path(path).read_text())
        if data.get("cases"):
            print(
                f"{data['requests']:,} requests, {data['runs']} runs per case, {data['settings']}, DEBUG {data['debug']}\n"
            )
            print("| case | p50 ms | p95 ms | queries | bar |")
            print("|---|---:|---:|---:|---|")
            for case in data["cases"]:
                bar = f"≤ {case['bar_ms']} ms" + (f", ≤ {case['bar_queries']} queries" if case["bar_queries"] else "")
                verdict = "met" if case["met"] else "**missed**"
                print(
                    f"| {case['area']}: {case['case']} | {case['p50_ms']} | {case['p95_ms']} | {case['queries']} "
                    f"| {bar}: {verdict} |"
                )
            print()
        if data.get("http"):
            print("| over HTTP (gunicorn) | per second | p50 ms | p95 ms |")
            print("|---|---:|---:|---:|")
            for row in data["http"]:
                print(f"| {row['case']} | {row['per_second']} | {row['p50_ms']} | {row['p95_ms']} |")
            print()


if __name__ == "__main__":
    main(sys.argv[1:])
