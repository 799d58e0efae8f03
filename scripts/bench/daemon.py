#!/usr/bin/env python3
"""Daemon speed against `isnetd classify`, in one run on the same files (the machines are shared and
noisy, so only ratios within a run count):

1. throughput: `isnetd classify` on N files (one process, wall time), then the same N files (fresh
   SOP Instance UIDs, so none is a duplicate) dropped at once into a running `isnetd serve`: the time
   from the first drop to the last report;
2. latency when idle: files dropped one at a time into the idle daemon, each timed from its rename into
   the inbox to its report appearing in the outbox (p50, p95), against classify's own time per file
   at batch size 1 (the report's total_ms: intake, networks, pictures, writes) and the wall time of a
   whole `isnetd classify` process on one file.

Both write the same outputs (report, overlay, lung mask, relevance) at the same picture size.
Usage (after `swift build -c release --product isnetd`):

    python3 scripts/bench/daemon.py --files 500 --latency-files 30
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = ["normal-pa.dcm", "covid-19-pa.dcm", "pneumonia-lobar-pa.dcm", "covid-19-ap.dcm"]


def sop_instance_uid(data):
    """The SOP Instance UID of one of the samples (they all use 2.25.<39 digits> UIDs)."""
    start = data.find(b"2.25.")
    end = start
    while end < len(data) and data[end:end + 1] in b"0123456789.":
        end += 1
    return data[start:end]


def variant(template, index):
    """The template with the last 7 digits of its SOP Instance UID replaced everywhere (same length)."""
    uid = sop_instance_uid(template)
    new = uid[:-7] + b"%07d" % index
    return template.replace(uid, new)


def make_files(folder, count, offset):
    templates = [open(os.path.join(ROOT, "samples", name), "rb").read() for name in TEMPLATES]
    paths = []
    for index in range(count):
        path = os.path.join(folder, "bench-%05d.dcm" % index)
        with open(path, "wb") as handle:
            handle.write(variant(templates[index % len(templates)], offset + index))
        paths.append(path)
    return paths


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def reports(outbox):
    return [name for name in os.listdir(outbox) if name.endswith(".json") and not name.startswith(".")]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--isnetd", default=os.path.join(ROOT, ".build/release/isnetd"))
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--latency-files", type=int, default=30)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    work = tempfile.mkdtemp(prefix="isnetd-bench-daemon-")
    try:
        # 1a. classify
        source = os.path.join(work, "classify-in")
        os.mkdir(source)
        files = make_files(source, args.files, 0)
        out = os.path.join(work, "classify-out")
        start = time.monotonic()
        subprocess.run([args.isnetd, "classify", *files, "--out", out, "--batch", str(args.batch), "--threads", str(args.threads)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        classify_seconds = time.monotonic() - start

        # 1b. the daemon, same files with other UIDs, dropped at once
        inbox, outbox, state = (os.path.join(work, name) for name in ("inbox", "outbox", "state"))
        staging = os.path.join(work, "staging")
        for folder in (inbox, staging):
            os.mkdir(folder)
        config = os.path.join(work, "isnetd.conf")
        with open(config, "w") as handle:
            handle.write("inbox: %s\noutbox: %s\nstate: %s\nbatch_size: %d\nthreads: %d\n"
                         "outputs: [overlay, lung_mask, relevance]\nafter_success: delete\nlog: stderr\n"
                         % (inbox, outbox, state, args.batch, args.threads))
        log = open(os.path.join(work, "daemon.log"), "w")
        daemon = subprocess.Popen([args.isnetd, "serve", "--config", config], env=env, stderr=log, stdout=log)
        try:
            if not wait_for(lambda: "serving " in open(log.name).read(), 120):
                sys.exit("the daemon did not start: " + open(log.name).read())
            staged = make_files(staging, args.files, 1_000_000)
            start = time.monotonic()
            for path in staged:
                os.rename(path, os.path.join(inbox, os.path.basename(path)))
            if not wait_for(lambda: len(reports(outbox)) >= args.files, 3600):
                sys.exit("the daemon did not finish the backlog")
            daemon_seconds = time.monotonic() - start

            # 2. latency when idle, one file at a time
            latencies = []
            singles = make_files(staging, args.latency_files, 2_000_000)
            for path in singles:
                before = len(reports(outbox))
                start = time.monotonic()
                os.rename(path, os.path.join(inbox, os.path.basename(path)))
                if not wait_for(lambda: len(reports(outbox)) > before, 120):
                    sys.exit("no report for " + path)
                latencies.append(time.monotonic() - start)
                time.sleep(0.2)
            with open("/proc/%d/status" % daemon.pid) as status:
                peak_mib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=120)
            log.close()

        # classify's time per file at batch size 1, and a whole classify process on one file
        single_out = os.path.join(work, "single-out")
        per_file = []
        process_seconds = []
        for path in files[:5]:
            start = time.monotonic()
            subprocess.run([args.isnetd, "classify", path, "--out", single_out, "--batch", "1", "--threads", str(args.threads), "--json"],
                           env=env, check=True, stdout=subprocess.PIPE)
            process_seconds.append(time.monotonic() - start)
        for name in reports(single_out):
            per_file.append(json.load(open(os.path.join(single_out, name)))["timing"]["total_ms"] / 1000)

        print("files: %d (%s), batch %d, threads %d" % (args.files, ", ".join(TEMPLATES), args.batch, args.threads))
        print("throughput: classify %.1f s (%.1f files/s); serve %.1f s (%.1f files/s); serve/classify time %.3f"
              % (classify_seconds, args.files / classify_seconds, daemon_seconds, args.files / daemon_seconds,
                 daemon_seconds / classify_seconds))
        p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        one = statistics.median(per_file)
        print("latency when idle (%d files): drop to report p50 %.0f ms, p95 %.0f ms" % (len(latencies), p50 * 1000, p95 * 1000))
        print("classify at batch 1: %.0f ms per file (report total_ms, median of %d); a whole classify process on one file %.0f ms"
              % (one * 1000, len(per_file), statistics.median(process_seconds) * 1000))
        print("serve p50 / classify per file: %.3f" % (p50 / one))
        print("daemon peak resident memory: %.0f MiB" % peak_mib)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
