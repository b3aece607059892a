#!/usr/bin/env python3
"""Uploads copies of a folder's images to fake-gcs-server at a steady rate, under unique names,
until stopped (SIGTERM/SIGINT). Each upload's (name, generation, upload-complete epoch millis) is
appended to a TSV, flushed per line, so a checker can compare it with what the sinks wrote.
Used by scripts/chaos-soak.sh."""
import argparse
import json
import os
import random
import signal
import sys
import time
import urllib.parse
import urllib.request

stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--gcs", required=True, help="fake-gcs-server base URL")
    p.add_argument("--bucket", default="photos")
    p.add_argument("--images", required=True, help="folder of images to copy")
    p.add_argument("--rate", type=float, default=5.0, help="uploads per second")
    p.add_argument("--prefix", default="soak/", help="object name prefix")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="TSV: name, generation, upload epoch millis")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    files = sorted(f for f in os.listdir(a.images) if f.lower().endswith((".jpeg", ".jpg", ".png")))
    if not files:
        sys.exit("no images in " + a.images)
    rng = random.Random(a.seed)
    blobs = {}
    interval = 1.0 / a.rate
    next_at = time.monotonic()
    seq = 0
    failures = 0
    with open(a.out, "a", encoding="utf-8") as out:
        while not stop:
            f = rng.choice(files)
            if f not in blobs:
                with open(os.path.join(a.images, f), "rb") as fh:
                    blobs[f] = fh.read()
            name = "%s%06d-%s" % (a.prefix, seq, f)
            url = "%s/upload/storage/v1/b/%s/o?uploadType=media&name=%s" % (
                a.gcs, a.bucket, urllib.parse.quote(name, safe=""))
            ctype = "image/png" if f.lower().endswith(".png") else "image/jpeg"
            req = urllib.request.Request(url, data=blobs[f], method="POST", headers={"Content-Type": ctype})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    gen = json.load(resp)["generation"]
                out.write("%s\t%s\t%d\n" % (name, gen, int(time.time() * 1000)))
                out.flush()
                seq += 1
            except Exception as e:  # the emulator is never killed: any failure is worth a line
                failures += 1
                print("upload of %s failed: %s" % (name, e), file=sys.stderr)
                if failures > 20:
                    sys.exit("too many upload failures")
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()  # behind: do not burst to catch up
    print("producer: %d uploads" % seq, file=sys.stderr)


if __name__ == "__main__":
    main()
