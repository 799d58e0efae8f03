#!/usr/bin/env python3
"""Mutation campaign: hostile variants of real DICOM files against `isnetd inspect --json`, or
against the whole screening pipeline with `--classify` (the default model bundle).

    scripts/mutation-campaign.py --isnetd .build/release/isnetd --seed 7 --count 3000 CORPUS_DIR...

Each variant is a corpus file with a few random edits, as a hostile sender would make them: bytes
flipped, 16- and 32-bit values overwritten (lengths, rows, columns, offsets), runs of bytes inserted or
deleted, the file cut short. Variants go to isnetd in batches; a batch that ends in a signal, takes
longer than 5 s a file or grows past 1 GB resident is replayed file by file, and every file that does
so on its own is kept in OUT/findings with the reason. Exits 1 when anything was found.
Needs GNU time (/usr/bin/time) for the resident-memory figure.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

LIMIT_SECONDS = 5
LIMIT_KB = 1024 * 1024


def mutate(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        kind = rng.random()
        at = rng.randrange(len(data))
        if kind < 0.35:
            data[at] ^= 1 << rng.randrange(8)
        elif kind < 0.65:
            width = rng.choice([2, 4])
            value = rng.choice([0, 1, 0xFF, 0xFFFF, 0x7FFF, 0x8000, 0xFFFFFFFF, 0x7FFFFFFF, rng.getrandbits(8 * width)])
            data[at:at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
        elif kind < 0.8:
            data[at:at] = bytes([rng.getrandbits(8)]) * rng.randint(1, 512)
        elif kind < 0.9:
            del data[at:at + rng.randint(1, 256)]
        else:
            del data[max(132, at):]
    return data


def run(isnetd: str, files: list[str], classify_into: str | None) -> tuple[str | None, float]:
    """The reason a run of isnetd on `files` is a finding, or None."""
    if classify_into is None:
        subcommand = ["inspect", "--json"]
    else:
        shutil.rmtree(classify_into, ignore_errors=True)
        subcommand = ["classify", "--out", classify_into]
    command = ["/usr/bin/time", "-f", "%M %e", isnetd, *subcommand, *files]
    try:
        done = subprocess.run(command, capture_output=True, timeout=LIMIT_SECONDS * len(files) + 5,
                              env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
    except subprocess.TimeoutExpired:
        return "hang", LIMIT_SECONDS * len(files)
    last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    fields = last[0].split()
    if "signal" in last[0] or done.returncode not in (0, 1):
        return f"exit {done.returncode}: {last[0]}", 0.0
    kilobytes, seconds = int(fields[0]), float(fields[1])
    if kilobytes > LIMIT_KB:
        return f"{kilobytes // 1024} MB resident", seconds
    if seconds > LIMIT_SECONDS * len(files):
        return f"{seconds:.1f} s", seconds
    return None, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="+", help="folders of DICOM files to mutate")
    parser.add_argument("--isnetd", default=".build/release/isnetd")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--classify", action="store_true", help="run `isnetd classify` instead of `inspect`")
    parser.add_argument("--out", default=None, help="where findings are kept (default: a new temporary folder)")
    arguments = parser.parse_args()

    sources = sorted(os.path.join(root, name) for folder in arguments.corpus
                     for root, _, names in os.walk(folder) for name in names
                     if os.path.getsize(os.path.join(root, name)) < 64 << 20)
    if not sources:
        print("no corpus files", file=sys.stderr)
        return 2
    rng = random.Random(arguments.seed)
    out = arguments.out or tempfile.mkdtemp(prefix="isnetd-mutations-")
    work = os.path.join(out, "work")
    findings = os.path.join(out, "findings")
    os.makedirs(work, exist_ok=True)
    os.makedirs(findings, exist_ok=True)
    classify_into = os.path.join(out, "reports") if arguments.classify else None
    found = 0
    slowest = 0.0
    for start in range(0, arguments.count, arguments.batch):
        batch = []
        for index in range(start, min(start + arguments.batch, arguments.count)):
            source = rng.choice(sources)
            with open(source, "rb") as handle:
                variant = mutate(bytearray(handle.read()), rng)
            path = os.path.join(work, f"{index:06d}-{os.path.basename(source)}")
            with open(path, "wb") as handle:
                handle.write(variant)
            batch.append(path)
        reason, seconds = run(arguments.isnetd, batch, classify_into)
        slowest = max(slowest, seconds / len(batch))
        if reason is not None:
            for path in batch:
                single, seconds = run(arguments.isnetd, [path], classify_into)
                slowest = max(slowest, seconds)
                if single is not None:
                    found += 1
                    shutil.copy(path, findings)
                    print(f"FINDING {os.path.basename(path)}: {single}", flush=True)
        for path in batch:
            os.remove(path)
        print(f"{min(start + arguments.batch, arguments.count)}/{arguments.count} files, {found} finding(s)",
              flush=True)
    print(f"seed {arguments.seed}: {arguments.count} variants of {len(sources)} files, {found} finding(s), "
          f"slowest batch {slowest:.2f} s a file; findings in {findings}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
