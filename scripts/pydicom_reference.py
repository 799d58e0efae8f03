#!/usr/bin/env python3
"""Reference pixel values from pydicom for isnetd's DICOM decoding tests.

Fetches the public pydicom test corpora (the PyPI wheels pydicom==3.0.2 and pydicom-data==1.0.0, MIT)
into a fixtures folder, installs pydicom and the pylibjpeg decoders it needs for JPEG, JPEG-LS,
JPEG 2000 and RLE into a virtual environment there, and writes what pydicom reads from every file:

    FIXTURES/corpus/pydicom/...        the wheel's pydicom/data/test_files
    FIXTURES/corpus/pydicom-data/...   the wheel's data_store/data
    FIXTURES/reference/NNNN.f32        first-frame values, raw little-endian float32, row-major
    FIXTURES/reference/manifest.json   one entry per corpus file (see `describe`)

Reference values are pydicom's: `pixel_array` of the first frame with the Modality LUT or rescale
applied (`apply_modality_lut`), in the file's own polarity (MONOCHROME1 is not inverted). Colour images
become BT.601 luminance, 0.299 R + 0.587 G + 0.114 B, of pydicom's RGB (YBR converted by pydicom,
palettes applied with `apply_color_lut`).

Idempotent: when the manifest of this format exists it exits at once. Needs network access to PyPI
only the first time. Usage: scripts/pydicom_reference.py [--fixtures DIR]
"""

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

FORMAT = 1
WHEELS = ["pydicom==3.0.2", "pydicom-data==1.0.0"]
DECODERS = [
    "pydicom==3.0.2",
    "numpy==2.4.6",
    "pylibjpeg==2.1.0",
    "pylibjpeg-libjpeg==2.5.0",
    "pylibjpeg-openjpeg==2.6.0",
    "pylibjpeg-rle==2.2.0",
]
LOSSY = {
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91",
}


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"pydicom_reference: {' '.join(command)} failed:\n{result.stdout}")


def prepare(fixtures: Path) -> None:
    """Downloads and unpacks the corpora and builds the virtual environment."""
    wheels = fixtures / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(wheels), *WHEELS])
    corpus = fixtures / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    unpack(next(wheels.glob("pydicom-3.0.2-*.whl")), "pydicom/data/test_files/", corpus / "pydicom")
    unpack(next(wheels.glob("pydicom_data-1.0.0-*.whl")), "data_store/data/", corpus / "pydicom-data")
    venv = fixtures / "venv"
    if not (venv / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *DECODERS])


def unpack(wheel: Path, prefix: str, target: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.startswith(prefix):
                continue
            destination = target / member.filename[len(prefix):]
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink)


def describe(fixtures: Path) -> None:
    """Runs inside the virtual environment: writes the reference values and the manifest."""
    import warnings

    import numpy as np
    import pydicom
    from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

    warnings.simplefilter("ignore")
    corpus = fixtures / "corpus"
    reference = fixtures / "reference"
    if reference.exists():
        shutil.rmtree(reference)
    reference.mkdir(parents=True)
    entries = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        entry = {"path": str(path.relative_to(corpus))}
        entries.append(entry)
        try:
            ds = pydicom.dcmread(path)
            meta = getattr(ds, "file_meta", None)
            syntax = str(getattr(meta, "TransferSyntaxUID", "") or "")
            entry["transfer_syntax"] = syntax
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            array = pixel_array(ds, index=0) if frames > 1 else ds.pixel_array
            photometric = str(ds.PhotometricInterpretation)
            if photometric == "PALETTE COLOR":
                array = apply_color_lut(array, ds)
            if array.ndim == 3:
                rgb = array.astype(np.float64)
                values = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
                entry["colour"] = True
            else:
                values = apply_modality_lut(array, ds).astype(np.float64)
                entry["colour"] = False
        except Exception as error:  # pydicom cannot decode it: isnetd must say why, not crash
            entry["status"] = "failed"
            entry["error"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            continue
        name = f"{len(entries):04d}.f32"
        values.astype("<f4").tofile(reference / name)
        entry.update(
            status="decoded",
            reference=f"reference/{name}",
            rows=int(values.shape[0]),
            columns=int(values.shape[1]),
            photometric=photometric,
            lossy=syntax in LOSSY,
        )
    manifest = {"format": FORMAT, "pydicom": pydicom.__version__, "files": entries}
    (reference / "manifest.json").write_text(json.dumps(manifest, indent=1))


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=root / ".fixtures" / "pydicom")
    parser.add_argument("--describe", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    fixtures = arguments.fixtures.resolve()
    if arguments.describe:
        describe(fixtures)
        return
    fixtures.mkdir(parents=True, exist_ok=True)
    manifest = fixtures / "reference" / "manifest.json"
    with open(fixtures / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test processes wait for one preparation
        if manifest.exists() and json.loads(manifest.read_text()).get("format") == FORMAT:
            print(manifest)
            return
        prepare(fixtures)
        result = subprocess.run([str(fixtures / "venv" / "bin" / "python"), __file__, "--describe",
                                 "--fixtures", str(fixtures)])
        if result.returncode != 0:
            sys.exit("pydicom_reference: computing the reference values failed")
    print(manifest)


if __name__ == "__main__":
    main()
