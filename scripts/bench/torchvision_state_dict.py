#!/usr/bin/env python3
# Prints the state_dict layout of torchvision's densenet121 or resnet18 (weights=None, 1000 classes, 3 input channels):
# one entry per line, in state_dict order, as  name<TAB>shape<TAB>dtype  where shape is the sizes joined by ','
# (empty for a 0-dimensional tensor such as num_batches_tracked) and dtype is torch's name without 'torch.'.
#
# Install: see pytorch_reference.py / requirements.txt beside this file. Regenerate the fixtures with
#
#   .venv-bench/bin/python scripts/bench/torchvision_state_dict.py densenet121 > Tests/EngineTests/Fixtures/densenet121-state-dict.txt
#   .venv-bench/bin/python scripts/bench/torchvision_state_dict.py resnet18 > Tests/EngineTests/Fixtures/resnet18-state-dict.txt
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_reference import import_torchvision  # noqa: E402

COMMAND = ".venv-bench/bin/python scripts/bench/torchvision_state_dict.py {model}" \
          " > Tests/EngineTests/Fixtures/{model}-state-dict.txt"


def main():
    ap = argparse.ArgumentParser(description="Print a torchvision model's state_dict names, shapes and dtypes.")
    ap.add_argument("model", choices=["densenet121", "resnet18"])
    ap.add_argument("--classes", type=int, default=1000, help="num_classes (default 1000)")
    ap.add_argument("--no-header", action="store_true", help="omit the leading '# ' comment lines")
    args = ap.parse_args()

    tv = import_torchvision()
    from torchvision import models

    model = getattr(models, args.model)(weights=None, num_classes=args.classes)
    sd = model.state_dict()
    if not args.no_header:
        cmd = COMMAND.format(model=args.model)
        cmd = cmd if args.classes == 1000 else cmd.replace(".py", f".py --classes {args.classes}", 1)
        print(f"# {cmd}")
        print(f"# torch {torch.__version__.split('+')[0]}, torchvision {tv.__version__.split('+')[0]}; "
              f"{len(sd)} entries: name<TAB>shape<TAB>dtype (shape empty for 0-d tensors)")
    for name, t in sd.items():
        shape = ",".join(str(s) for s in t.shape)
        dtype = str(t.dtype).replace("torch.", "")
        print(f"{name}\t{shape}\t{dtype}")


if __name__ == "__main__":
    main()
