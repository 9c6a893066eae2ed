"""Regenerate the 月額表 CSVs in this folder from public transcriptions, and diff them.

Run by hand when a source changes (not at import, not in CI)::

    uv run python src/daiko/payroll/data/withholding/build.py \
        --renjaku /work/.mirror/renjaku+opendata/repo \
        --fiestared /work/.mirror/fiestared+keiri-tools/repo

Both arguments are git directories (bare snapshots are fine: files are read with
``git show``). What it writes:

* ``monthly-2026.csv`` from renjaku/opendata ``monthly-tables/2026-01-01.yaml``
  (the primary 2026 source);
* ``check/monthly-2026.fiestared.csv`` from fiestared/keiri-tools
  ``docs/assets/gensen_getsugaku_r08.json`` (the second, independent copy, kept so the
  test suite can diff every cell);
* it prints the 740,000-and-over segments of both so they can be compared with
  ``year-2026.yaml``.

The 2027 CSVs were transcribed from the stored index (see README.md), not by this script.

CSV layout (both years, both copies): ``min,max,kou0,...,kou7,otsu`` — one row per 月額表
bracket, ``min`` inclusive, ``max`` exclusive, integer yen.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
HEADER = "min,max,kou0,kou1,kou2,kou3,kou4,kou5,kou6,kou7,otsu"
TABLE_MAX = 740_000


def _git_show(repo: Path, path: str) -> str:
    # A fixed argv built from our own arguments: a maintainer tool, never run by the app.
    return subprocess.run(  # noqa: S603
        ["git", "-C", str(repo), "show", f"HEAD:{path}"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _write(path: Path, rows: list[list[int]]) -> None:
    lines = [HEADER] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def renjaku_2026(repo: Path) -> tuple[list[list[int]], Any]:
    doc = yaml.safe_load(
        _git_show(repo, "public/v1/jp/withholding-tax/monthly-tables/2026-01-01.yaml")
    )
    general = [g for g in doc["general"] if g["lowerLimit"] > 0]
    otsu = {d["lowerLimit"]: d for d in doc["default"] if d["lowerLimit"] > 0}
    rows: list[list[int]] = []
    table = [g for g in general if g["lowerLimit"] < TABLE_MAX]
    for i, g in enumerate(table):
        lo = g["lowerLimit"]
        hi = table[i + 1]["lowerLimit"] if i + 1 < len(table) else TABLE_MAX
        kou = [d["amount"] for d in sorted(g["dependents"], key=lambda d: d["count"])]
        assert [d["count"] for d in sorted(g["dependents"], key=lambda d: d["count"])] == list(
            range(8)
        )
        rows.append([lo, hi, *kou, otsu[lo]["amount"]])
    segments = {
        "kou": [
            (g["lowerLimit"], [d["amount"] for d in g["dependents"]], g["overLowerLimitRate"])
            for g in general
            if g["lowerLimit"] >= TABLE_MAX
        ],
        "otsu": [
            (d["lowerLimit"], d["amount"], d.get("overLowerLimitRate"))
            for d in doc["default"]
            if d["lowerLimit"] >= TABLE_MAX or d["lowerLimit"] == 0
        ],
    }
    return rows, segments


def fiestared_2026(repo: Path) -> tuple[list[list[int]], Any]:
    doc = json.loads(_git_show(repo, "docs/assets/gensen_getsugaku_r08.json"))
    rows = [[r["min"], r["max"], *r["kou"], r["otsu"]] for r in doc["rows"]]
    segments = {
        "kou": [(s["from"], s["baseTax"], s["rate"]) for s in doc["kouSegments"]],
        "otsu": [(s["from"], s["base"], s["rate"]) for s in doc["otsuSegments"]],
        "otsuLow": (doc["otsuLowMax"], doc["otsuLowRate"]),
        "over7": doc["over7Deduction"],
    }
    return rows, segments


def _say(*parts: object) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renjaku", type=Path, required=True)
    parser.add_argument("--fiestared", type=Path, required=True)
    args = parser.parse_args()

    primary, seg_a = renjaku_2026(args.renjaku)
    second, seg_b = fiestared_2026(args.fiestared)
    _write(HERE / "monthly-2026.csv", primary)
    _write(HERE / "check" / "monthly-2026.fiestared.csv", second)
    diffs = [
        (a[0], i, a[i], b[i])
        for a, b in zip(primary, second, strict=True)
        for i in range(len(a))
        if a[i] != b[i]
    ]
    _say(f"2026: {len(primary)} rows, {len(diffs)} differing cells")
    for d in diffs:
        _say("  diff", d)
    _say("renjaku segments:", seg_a)
    _say("fiestared segments:", seg_b)


if __name__ == "__main__":
    main()
