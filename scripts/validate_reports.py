#!/usr/bin/env python3
"""Validates isnetd JSON reports against schemas/report.schema.json with the jsonschema package
(Draft 2020-12, format checks on). Prints one line per invalid report and exits 1 if any is invalid.

    python3 scripts/validate_reports.py REPORT.json [...]

jsonschema comes from the running Python when it has it; otherwise it is installed once into
.fixtures/venv-jsonschema (gitignored) from PyPI and the script runs again there.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".fixtures" / "venv-jsonschema"
REQUIREMENT = "jsonschema[format-nongpl]==4.26.0"


def ensure_jsonschema():
    try:
        import jsonschema  # noqa: F401
        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if os.environ.get("ISNETD_VALIDATOR_VENV"):
        sys.exit("jsonschema is missing from the validator's own environment")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", REQUIREMENT], check=True)
    os.execve(str(python), [str(python), *sys.argv], {**os.environ, "ISNETD_VALIDATOR_VENV": "1"})


def refuse_constant(token):
    """Strict JSON: NaN and Infinity are not numbers a report may hold."""
    raise ValueError(token)


def main():
    ensure_jsonschema()
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    invalid = 0
    for path in sys.argv[1:]:
        try:
            report = json.loads(Path(path).read_text(), parse_constant=refuse_constant)
        except ValueError as error:
            print(f"{path}: not strict JSON: {error}")
            invalid += 1
            continue
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        for error in errors:
            print(f"{path}: {'/'.join(map(str, error.path)) or '(root)'}: {error.message}")
        invalid += bool(errors)
    print(f"{len(sys.argv) - 1 - invalid} valid, {invalid} invalid ({validator_class.__name__})")
    sys.exit(1 if invalid else 0)


if __name__ == "__main__":
    main()
