#!/usr/bin/env python3
"""Retrain wall time on synthetic images, Selective against original ISNet, with 3 and 10 classes, in
one run (the machines are shared and noisy, so compare within a run).

`isnetd synth` writes N marker-biased phantoms in three classes; a second copy of the same files (hard
links) is spread over ten class folders. For each variant and class count, `isnetd retrain` runs for
--epochs epochs from the shipped default model's segmenter, in a fresh state folder, and the script
reports the seconds of each training epoch (the retrain_epoch event's ISNETD_EPOCH_SECONDS: training
steps and the validation pass) and the wall time of the whole retrain (loading, pseudo-masks if any,
training, calibration, measuring both models, registration). Selective ISNet's heatmap cost does not
grow with the classes; the original ISNet explains every class, so its cost grows with them.

Usage (after `swift build -c release --product isnetd`):

    python3 scripts/bench/retrain.py --images 2000 --size 128 --epochs 1
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spread(source, target, classes):
    """Hard links of every image (and its mask) of `source`'s class folders, dealt round-robin into
    `classes` folders: the same pixels, another label set."""
    names = [f"class-{index:02d}" for index in range(classes)]
    for name in names:
        os.makedirs(os.path.join(target, name))
    images = sorted(os.path.join(folder, file) for folder in (os.path.join(source, c) for c in sorted(os.listdir(source)))
                    for file in os.listdir(folder) if file.endswith(".dcm"))
    for index, image in enumerate(images):
        folder = os.path.join(target, names[index % classes])
        os.link(image, os.path.join(folder, os.path.basename(image)))
        mask = image[:-4] + ".mask.png"
        if os.path.exists(mask):
            os.link(mask, os.path.join(folder, os.path.basename(mask)))


def retrain(isnetd, work, name, data, variant, args):
    state = os.path.join(work, "state-" + name)
    os.makedirs(state)
    config = os.path.join(work, name + ".conf")
    with open(config, "w") as file:
        file.write(f"inbox: {work}/inbox\noutbox: {work}/outbox\nstate: {state}\nlog: stderr\n"
                   f"retrain:\n  data: {data}\n  threads: {args.threads}\n  calibration_minimum_images: 1\n")
    command = [isnetd, "retrain", "--config", config, "--variant", variant, "--size", str(args.size), "--epochs", str(args.epochs),
               "--tune-cut-epochs", "0", "--batch-size", str(args.batch_size)]
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    started = time.monotonic()
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    wall = time.monotonic() - started
    if result.returncode not in (0, 3):
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    epochs = [float(value) for value in re.findall(r"ISNETD_EPOCH_SECONDS=([0-9.]+)", result.stderr)]
    return {"run": name, "variant": variant, "epoch_seconds": epochs, "wall_seconds": round(wall, 1),
            "outcome": "promoted" if result.returncode == 0 else "rejected"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--size", type=int, default=128, help="model input side")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--isnetd", default=os.path.join(ROOT, ".build/release/isnetd"))
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="isnetd-bench-retrain-") as work:
        synthesized = os.path.join(work, "synth")
        subprocess.run([args.isnetd, "synth", "--out", synthesized, "--counts", f"train={args.images}", "--size", "256",
                        "--seed", "21"], check=True, capture_output=True)
        three = os.path.join(synthesized, "train")
        ten = os.path.join(work, "ten-classes")
        spread(three, ten, 10)
        runs = []
        for classes, data in ((3, three), (10, ten)):
            for variant in ("selective", "original"):
                run = retrain(args.isnetd, work, f"{variant}-{classes}", data, variant, args)
                run["classes"] = classes
                runs.append(run)
                print(f"{variant:9s} {classes:2d} classes: {', '.join(f'{s:.0f} s' for s in run['epoch_seconds'])} per epoch, "
                      f"retrain {run['wall_seconds']:.0f} s ({run['outcome']})", flush=True)
        base = {run["classes"]: run for run in runs if run["variant"] == "selective"}
        for run in runs:
            if run["variant"] == "original" and run["epoch_seconds"] and base[run["classes"]]["epoch_seconds"]:
                ratio = run["epoch_seconds"][0] / base[run["classes"]]["epoch_seconds"][0]
                print(f"original / selective per epoch, {run['classes']} classes: {ratio:.2f}x")
        if args.json:
            with open(args.json, "w") as file:
                json.dump({"images": args.images, "size": args.size, "epochs": args.epochs, "runs": runs}, file, indent=2)


if __name__ == "__main__":
    main()
