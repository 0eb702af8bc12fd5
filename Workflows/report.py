#!/usr/bin/env python3
"""The report of a Workflows/Snakefile run: one row per job from Snakemake's benchmark files
(benchmarks/<rule>/<name>.tsv: wall seconds, peak resident memory, CPU seconds) and the mean
scores of `tessera evaluate` CSVs (<target>/<subject>.csv), written as report/report.md and
report/jobs.csv."""
import argparse
import csv
import glob
import os


def read_benchmarks(folder):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.tsv"), recursive=True)):
        with open(path) as f:
            record = next(csv.DictReader(f, delimiter="\t"))
        rule = os.path.relpath(os.path.dirname(path), folder).split(os.sep)[0]
        name = os.path.splitext(os.path.relpath(path, os.path.join(folder, rule)))[0]
        rows.append({"rule": rule, "job": name, "seconds": float(record["s"]),
                     "max_rss_mb": float(record["max_rss"]) if record["max_rss"] not in ("", "NA") else float("nan"),
                     "cpu_seconds": float(record["cpu_time"]) if record["cpu_time"] not in ("", "NA") else float("nan")})
    return rows


def read_scores(target):
    """Mean Dice per label over the subjects of a target, and the mean of the per-subject means."""
    per_label, means = {}, []
    for path in sorted(glob.glob(os.path.join(target, "*.csv"))):
        with open(path) as f:
            for row in csv.DictReader(f):
                if row["label"] == "mean":
                    means.append(float(row["dice"]))
                else:
                    per_label.setdefault(row["name"] or row["label"], []).append(float(row["dice"]))
    return per_label, means


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", required=True)
    parser.add_argument("--scores", nargs="*", default=[], help="target folders holding evaluate CSVs")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    jobs = read_benchmarks(args.benchmarks)
    with open(os.path.join(args.output, "jobs.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["rule", "job", "seconds", "max_rss_mb", "cpu_seconds"])
        writer.writeheader()
        writer.writerows(jobs)
    lines = ["# Workflow report", "", f"{len(jobs)} benchmarked jobs (Snakemake `benchmark:` files).", "",
             "| rule | job | seconds | peak RSS (MB) | CPU seconds |", "|---|---|---|---|---|"]
    lines += [f"| {j['rule']} | {j['job']} | {j['seconds']:.2f} | {j['max_rss_mb']:.0f} | {j['cpu_seconds']:.2f} |"
              for j in jobs]
    for rule in sorted({j["rule"] for j in jobs}):
        mine = [j for j in jobs if j["rule"] == rule]
        lines.append(f"| **{rule}: total** | {len(mine)} jobs | {sum(j['seconds'] for j in mine):.2f} | "
                     f"{max(j['max_rss_mb'] for j in mine):.0f} (max) | {sum(j['cpu_seconds'] for j in mine):.2f} |")
    for target in args.scores:
        per_label, means = read_scores(target)
        if not means:
            continue
        lines += ["", f"## {target}: Dice over {len(means)} subjects", "", "| label | mean Dice |", "|---|---|"]
        if len(per_label) <= 10:
            lines += [f"| {name} | {sum(v) / len(v):.3f} |" for name, v in per_label.items()]
        lines.append(f"| **mean of the subjects' means** | **{sum(means) / len(means):.3f}** |")
    with open(os.path.join(args.output, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
