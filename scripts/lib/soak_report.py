#!/usr/bin/env python3
"""Compares what a chaos soak uploaded with what the sinks wrote and prints the RESULT lines.
Exits 1 when a row is lost or duplicated in either sink, a message is left unacked, or fewer
chaos events happened than required. Used by scripts/chaos-soak.sh."""
import argparse
import collections
import glob
import json
import os
import sys


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def json_rows(folder):
    keys = []
    for path in glob.glob(os.path.join(folder, "**", "*"), recursive=True):
        if os.path.isdir(path) or os.path.basename(path).startswith("."):
            continue  # in-progress part files are hidden until a checkpoint commits them
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    keys.append((r.get("bucket"), r.get("name"), str(r.get("generation"))))
    return keys


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100.0 * len(s) + 0.5)) - 1))]


def compare(uploaded, rows):
    counts = collections.Counter(rows)
    lost = [k for k in uploaded if counts[k] == 0]
    duplicated = sum(c - 1 for k, c in counts.items() if c > 1)
    unexpected = sum(c for k, c in counts.items() if k not in uploaded)
    return lost, duplicated, unexpected


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bucket", default="photos")
    p.add_argument("--uploads", required=True)
    p.add_argument("--json-dir", required=True)
    p.add_argument("--dead-letter-dir", required=True)
    p.add_argument("--bq-committed", required=True)
    p.add_argument("--events", required=True)
    p.add_argument("--rss", required=True)
    p.add_argument("--unacked", type=int, required=True)
    p.add_argument("--min-tm-kills", type=int, default=0)
    p.add_argument("--min-jm-failovers", type=int, default=0)
    p.add_argument("--min-rescales", type=int, default=0)
    a = p.parse_args()

    uploads = {(a.bucket, n, g): int(t) for n, g, t in read_tsv(a.uploads)}
    uploaded = set(uploads)
    json_keys = json_rows(a.json_dir)
    dead = json_rows(a.dead_letter_dir)
    bq = read_tsv(a.bq_committed)
    bq_keys = [(b, n, g) for _table, b, n, g, _t in bq]
    first_commit = {}
    for _table, b, n, g, t in bq:
        first_commit.setdefault((b, n, g), int(t))

    j_lost, j_dup, j_extra = compare(uploaded, json_keys)
    b_lost, b_dup, b_extra = compare(uploaded, bq_keys)
    latencies = [first_commit[k] - t for k, t in uploads.items() if k in first_commit]

    events = read_tsv(a.events)  # offset_s, kind, detail, recovery_s ("-" if none)
    kinds = collections.Counter(e[1] for e in events)
    recoveries = [(float(e[3]), e) for e in events if e[3] != "-"]
    longest = max(recoveries, default=None)
    unrecovered = [e for e in events if e[3] == "-"]
    rescales = [e[2] for e in events if e[1] == "rescale"]

    rss = read_tsv(a.rss)  # name, peak_kb, job_restarts_seen
    first, last = (rss[0], rss[-1]) if rss else (None, None)

    def mb(r):
        return "%.0f MB (%s)" % (int(r[1]) / 1024.0, r[0]) if r else "n/a"

    print("RESULT images: %d uploaded" % len(uploaded))
    print("RESULT taskmanager_kills: %d" % kinds["tm-kill"])
    print("RESULT jobmanager_failovers: %d" % kinds["jm-kill"])
    print("RESULT rescales: %d (%s)" % (len(rescales), ", ".join(rescales) or "none"))
    print("RESULT rows_lost: json=%d bigquery=%d" % (len(j_lost), len(b_lost)))
    print("RESULT rows_duplicated: json=%d bigquery=%d" % (j_dup, b_dup))
    print("RESULT rows_unexpected: json=%d bigquery=%d (rows for objects the producer did not record)" % (j_extra, b_extra))
    print("RESULT dead_letters: %d" % len(dead))
    print("RESULT unacked_messages: %d" % a.unacked)
    print("RESULT upload_to_row_latency_ms: p50=%d p99=%d max=%d (upload done -> row committed in BigQuery)"
          % (percentile(latencies, 50), percentile(latencies, 99), max(latencies, default=0))
          if latencies else "RESULT upload_to_row_latency_ms: n/a")
    if longest:
        print("RESULT longest_recovery_s: %.1f (%s %s at +%ss; kill/stop -> new rows committed)"
              % (longest[0], longest[1][1], longest[1][2], longest[1][0]))
    else:
        print("RESULT longest_recovery_s: n/a")
    if unrecovered:
        print("RESULT events_without_restart: %d (%s)" % (len(unrecovered), "; ".join(" ".join(e[:3]) for e in unrecovered)))
    peak = max(rss, key=lambda r: int(r[1]), default=None)
    print("RESULT taskmanager_peak_rss: first=%s last=%s max=%s, through %s chaos events"
          % (mb(first), mb(last), mb(peak), peak[2] if peak else "n/a"))

    failed = []
    if j_lost or b_lost:
        failed.append("rows lost")
        for k in sorted(j_lost)[:10]:
            print("lost in json: %s" % (k,), file=sys.stderr)
        for k in sorted(b_lost)[:10]:
            print("lost in bigquery: %s" % (k,), file=sys.stderr)
    if j_dup or b_dup:
        failed.append("rows duplicated")
    if a.unacked:
        failed.append("messages left unacked")
    if kinds["tm-kill"] < a.min_tm_kills:
        failed.append("only %d TaskManager kills" % kinds["tm-kill"])
    if kinds["jm-kill"] < a.min_jm_failovers:
        failed.append("only %d JobManager failovers" % kinds["jm-kill"])
    if len(rescales) < a.min_rescales:
        failed.append("only %d rescales" % len(rescales))
    if not uploaded:
        failed.append("nothing uploaded")
    print("RESULT verdict: %s" % ("FAIL: " + ", ".join(failed) if failed else "PASS"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
