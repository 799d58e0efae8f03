#!/usr/bin/env python3
# PyTorch (and zennit) CPU reference timings for isnetd: DenseNet-121 forward, and forward + LRP-Flex heatmap.
#
# Install (Debian 12, CPython 3.11 from pyenv, CPU only; see requirements.txt beside this file):
#
#   /root/.pyenv/versions/3.11.7/bin/python -m venv .venv-bench
#   .venv-bench/bin/pip install -r scripts/bench/requirements.txt
#
# requirements.txt pins torch==2.13.0+cpu. That CPU-only wheel is NOT on PyPI: on this machine kind it comes
# from the local wheel folder /opt/wheels, which pip already searches (PIP_FIND_LINKS=/opt/wheels). Every Linux
# x86_64 torch wheel on PyPI is a CUDA build: torch 2.15.0 is a 539 MB wheel that needs several GB of
# nvidia-*/cuda-* wheels, and with `--no-deps` `import torch` fails (libcublasLt not found).
# torchvision 0.28.0 (PyPI, 7 MB) is the release paired with torch 2.13. Its compiled ops (_C.so) are linked
# against CUDA and do not load beside the CPU torch; DenseNet does not need them, and import_torchvision()
# below works around the one import-time failure this causes.
#
# Run (from the repository root):
#
#   .venv-bench/bin/python scripts/bench/pytorch_reference.py --threads 2 --batches 1,8 --seconds 3
#
# stdout: lines starting with '# ' are informational; every other line is one JSON object per measurement:
#   {"impl": "pytorch"|"zennit", "task": "forward"|"forward+heatmap", "batch": B, "images_per_second": x,
#    "ms_per_batch": y, "threads": N, "torch": "<version>", "iterations": n, "cpu_per_wall": c,
#    "runq_wait_frac": f, "contended": false}
# runq_wait_frac is the share of the timed wall time (times N) that our threads spent waiting for a core because
# other processes held it. On a shared 2-core machine that wrecks OpenMP timings (a 10x slowdown was seen), so a
# measurement above --max-runq-wait (5%) is repeated (--retries, default 3) and "contended": true marks one that
# never got a quiet window. cpu_per_wall is process CPU seconds per wall second (below N also reflects the serial
# Python parts, notably zennit's hooks).
#
# What is measured (docs/faster-isnet.md sections 2.1 and 8):
#   forward          torchvision densenet121 (eval mode, stock in-place ReLUs) under torch.inference_mode().
#   forward+heatmap  impl "pytorch": LRP-Flex. Every ReLU (including the functional final ReLU of torchvision's
#                    DenseNet.forward) is its own non-in-place module whose backward multiplies the incoming
#                    gradient by y/(y+eps), eps=0.01. Q = sum over the batch of each sample's top logit;
#                    G = dQ/da0 with a0 the output of the first ReLU (features.relu0); R0 = G*a0; then the z^B rule
#                    (bounds l=0, h=1, stabiliser eps*sign(z), sign(0)=+1) on conv0 fused with norm0 (running
#                    statistics). Output [B, 1, 3, H, W].
#                    impl "zennit" (only if zennit imports): zennit.attribution.Gradient with a
#                    SpecialFirstLayerMapComposite: ZBox(0, 1, stabilizer=0.01) on conv0; Epsilon(0.01) on every
#                    other convolution; Epsilon(1e-12) (LRP-0) on the classifier; Pass on activations and on the
#                    batch norms that cannot be merged; Norm() on average pools; conv0+norm0 and each dense layer's
#                    conv1+norm2 merged by NamedMergeBatchNorm (SequentialMergeBatchNorm would wrongly merge a
#                    dense layer's conv2 into the next layer's norm1, which normalises the whole concatenation).
#                    zennit has no DenseNet canonizer, so its map is NOT numerically equal to LRP-Flex (the
#                    unmerged batch norms after each concatenation differ); its figure is a timing reference only.
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

_TORCHVISION_SHIM = None  # keeps the stand-in operator library alive


def import_torchvision():
    """Import torchvision, tolerating a compiled-ops library (_C.so) that cannot load.

    PyPI's torchvision wheels are CUDA builds. Beside a CPU-only torch their _C.so fails to load; torchvision
    tolerates that (extension._has_ops() becomes False), except that torchvision/_meta_registrations.py calls
    torch.library.register_fake for "torchvision::nms" and "torchvision::qnms" unconditionally, which raises
    "operator torchvision::nms does not exist". Declaring the two schemas lets the import finish; the detection
    ops stay unusable, which DenseNet does not care about.
    """
    global _TORCHVISION_SHIM
    try:
        import torchvision
        return torchvision
    except RuntimeError as err:
        if "torchvision::" not in str(err):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _TORCHVISION_SHIM = lib
    import torchvision
    return torchvision


class _FlexReLUFunction(torch.autograd.Function):
    """ReLU whose backward is g * y / (y + eps) (the LRP-epsilon rule as a modified gradient)."""

    @staticmethod
    def forward(ctx, x, eps):
        y = torch.relu(x)
        ctx.save_for_backward(y)
        ctx.eps = eps
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * (y / (y + ctx.eps)), None


class FlexReLU(nn.Module):
    def __init__(self, eps):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return _FlexReLUFunction.apply(x, self.eps)

    def extra_repr(self):
        return f"eps={self.eps}"


def replace_relus(module, make):
    """Replace every nn.ReLU child (recursively) by a fresh module from make(); returns the count."""
    count = 0
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU):
            setattr(module, name, make())
            count += 1
        else:
            count += replace_relus(child, make)
    return count


class DenseNetHead(nn.Module):
    """torchvision DenseNet with its functional tail (F.relu, adaptive_avg_pool2d) as modules.

    features and classifier are shared with the model it is built from (no copy of the weights).
    """

    def __init__(self, densenet, final_relu):
        super().__init__()
        self.features = densenet.features
        self.final_relu = final_relu
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = densenet.classifier

    def forward(self, x):
        out = self.final_relu(self.features(x))
        return self.classifier(torch.flatten(self.avgpool(out), 1))


class FlexDenseNet(DenseNetHead):
    """DenseNet whose forward also returns a0, the output of the first ReLU (features.relu0)."""

    def forward(self, x):
        f = self.features
        a0 = f.relu0(f.norm0(f.conv0(x)))
        out = a0
        for name, layer in f.named_children():
            if name in ("conv0", "norm0", "relu0"):
                continue
            out = layer(out)
        out = self.final_relu(out)
        return self.classifier(torch.flatten(self.avgpool(out), 1)), a0


def fused_conv_bn(conv, bn):
    """Weight and bias of conv followed by eval-mode batch norm (running statistics)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight * scale.reshape(-1, 1, 1, 1)
    b = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        b = b + conv.bias * scale
    return w, b


def zb_rule(x, r0, weight, bias, stride, padding, eps, low=0.0, high=1.0):
    """ISNet's z^B rule on the first (fused) convolution. Returns [B, 1, C, H, W].

    z = conv(x; W, b) - conv(low; W+, b+ * low) - conv(high; W-, b- * high), z += eps * sign(z) (sign(0) = +1),
    s = r0 / z, R = x * convT(s; W) - low * convT(s; W+) - high * convT(s; W-).
    Terms whose bound is 0 vanish exactly and are skipped; the bound terms of z do not depend on the sample and are
    computed once. The transposed convolutions run as ONE torch.nn.grad.conv2d_input call (the convolution's
    input-gradient, exact output size, no output_padding arithmetic) on the weights stacked along the input-channel
    axis: F.conv_transpose2d takes a slow unthreaded path in libtorch 1.13 (~5x slower here at batch 8).
    """
    c = x.shape[1]
    terms = [(1.0, weight, None)]
    if low != 0:
        terms.append((low, weight.clamp(min=0), bias.clamp(min=0)))
    if high != 0:
        terms.append((high, weight.clamp(max=0), bias.clamp(max=0)))
    z = F.conv2d(x, weight, bias, stride, padding)
    ones = x.new_ones((1,) + tuple(x.shape[1:]))
    for bound, w, b in terms[1:]:
        z = z - F.conv2d(ones * bound, w, b * bound, stride, padding)
    z = z + eps * torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))
    s = r0 / z
    g = torch.nn.grad.conv2d_input((x.shape[0], c * len(terms)) + tuple(x.shape[2:]),
                                   torch.cat([w for _, w, _ in terms], dim=1), s, stride, padding)
    r = x * g[:, :c]
    for i, (bound, _, _) in enumerate(terms[1:], start=1):
        r = r - bound * g[:, i * c:(i + 1) * c]
    return r.unsqueeze(1)


def flex_heatmap(model, x, eps):
    """Forward + LRP-Flex heatmap of each sample's top class. Returns (logits, heatmap)."""
    logits, a0 = model(x)
    top = logits.argmax(dim=1, keepdim=True)
    q = logits.gather(1, top).sum()
    (g,) = torch.autograd.grad(q, a0)
    with torch.no_grad():
        r0 = torch.nan_to_num(g) * a0
        conv, bn = model.features.conv0, model.features.norm0
        w, b = fused_conv_bn(conv, bn)
        heat = zb_rule(x, r0, w, b, conv.stride[0], conv.padding[0], eps)
    return logits.detach(), heat


def build_zennit(densenet, eps):
    """(attributor, seed function, info line) for zennit's LRP on the same weights; (None, None, reason) without
    zennit. Import torchvision first (import_torchvision): zennit imports it."""
    try:
        import zennit
        from zennit.attribution import Gradient
        from zennit.canonizers import NamedMergeBatchNorm
        from zennit.composites import SpecialFirstLayerMapComposite
        from zennit.rules import Epsilon, Norm, Pass, ZBox
        from zennit.types import Activation, AvgPool, BatchNorm, Convolution
    except Exception as err:  # noqa: BLE001
        return None, None, f"zennit unavailable: {type(err).__name__}: {err}"
    import copy

    model = DenseNetHead(copy.deepcopy(densenet), nn.ReLU(inplace=False)).eval()
    replace_relus(model.features, lambda: nn.ReLU(inplace=False))
    for p in model.parameters():
        p.requires_grad_(False)
    pairs = [(["features.conv0"], "features.norm0")]
    for name, mod in model.named_modules():
        if hasattr(mod, "conv1") and hasattr(mod, "norm2"):
            pairs.append(([f"{name}.conv1"], f"{name}.norm2"))
    composite = SpecialFirstLayerMapComposite(
        layer_map=[
            (Activation, Pass()),
            (AvgPool, Norm()),  # zennit's default stabiliser 1e-6; LRP-Flex treats pools as plain LRP-0
            (BatchNorm, Pass()),
            (Convolution, Epsilon(epsilon=eps)),
            (nn.Linear, Epsilon(epsilon=1e-12)),
        ],
        first_map=[(Convolution, ZBox(low=0.0, high=1.0, stabilizer=eps))],
        canonizers=[NamedMergeBatchNorm(pairs)],
    )

    def seed(y):
        return y * F.one_hot(y.argmax(dim=1), y.shape[1]).to(y)

    return Gradient(model=model, composite=composite), seed, f"zennit {zennit.__version__ if hasattr(zennit, '__version__') else _dist_version('zennit')}"


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


def _runqueue_wait_ns():
    """Nanoseconds this process's threads have spent runnable but not running (Linux schedstat), or None."""
    total = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        return None
    return total


def measure(fn, seconds, warmup, min_iters):
    """Times fn. Returns dict(iterations, wall, cpu, runq_wait_frac).

    runq_wait_frac is the time our threads waited for a core (scheduler run queue) divided by wall time times the
    torch thread count: about 0 on an idle machine, and large when other processes compete for the cores (with
    OpenMP a single descheduled thread stalls every parallel region, so timings then become meaningless).
    """
    for _ in range(warmup):
        fn()
    iters = 0
    rq0 = _runqueue_wait_ns()
    cpu0 = time.process_time()
    start = time.perf_counter()
    while True:
        fn()
        iters += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and iters >= min_iters:
            break
    cpu = time.process_time() - cpu0
    rq1 = _runqueue_wait_ns()
    frac = None if rq0 is None or rq1 is None else (rq1 - rq0) / 1e9 / (elapsed * torch.get_num_threads())
    return {"iterations": iters, "wall": elapsed, "cpu": cpu, "runq_wait_frac": frac}


def measure_quiet(fn, seconds, warmup, min_iters, retries, max_wait):
    """measure(), repeated up to `retries` more times while runq_wait_frac > max_wait; returns the least contended."""
    best = None
    for _ in range(retries + 1):
        r = measure(fn, seconds, warmup, min_iters)
        if best is None or (r["runq_wait_frac"] or 0) < (best["runq_wait_frac"] or 0):
            best = r
        if r["runq_wait_frac"] is None or r["runq_wait_frac"] <= max_wait:
            break
        time.sleep(2)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__ or "PyTorch reference benchmark")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--classes", type=int, default=3, help="number of classes K (default 3)")
    ap.add_argument("--batches", default="1,8", help="comma-separated batch sizes (default 1,8)")
    ap.add_argument("--seconds", type=float, default=3.0, help="minimum timed seconds per measurement (default 3)")
    ap.add_argument("--min-iters", type=int, default=3, help="minimum timed iterations per measurement (default 3)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed iterations before each measurement (default 2)")
    ap.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    ap.add_argument("--eps", type=float, default=0.01, help="LRP epsilon (default 0.01)")
    ap.add_argument("--seed", type=int, default=0, help="seed for weights and inputs (default 0)")
    ap.add_argument("--retries", type=int, default=3,
                    help="re-measure up to this many times while other processes compete for the cores (default 3)")
    ap.add_argument("--max-runq-wait", type=float, default=0.05,
                    help="run-queue wait fraction above which a measurement counts as contended (default 0.05)")
    ap.add_argument("--no-zennit", action="store_true", help="skip the zennit measurement")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    tv = import_torchvision()
    from torchvision.models import densenet121

    print(f"# torch {torch.__version__} torchvision {tv.__version__} threads {torch.get_num_threads()} "
          f"interop_threads {torch.get_num_interop_threads()} mkldnn {torch.backends.mkldnn.is_available()} "
          f"python {sys.version.split()[0]}", flush=True)

    torch.manual_seed(args.seed)
    stock = densenet121(weights=None, num_classes=args.classes).eval()
    for p in stock.parameters():
        p.requires_grad_(False)  # only the input-side gradient is needed; weights stay frozen

    # LRP-Flex model: a copy of `stock` (same weights) with its own non-in-place ReLU modules. Its parameters
    # keep requires_grad=True as in a training/serving model; autograd.grad(q, a0) computes no weight gradients.
    import copy
    flex_base = copy.deepcopy(stock)
    for p in flex_base.parameters():
        p.requires_grad_(True)
    n_relu = replace_relus(flex_base.features, lambda: FlexReLU(args.eps))
    flex = FlexDenseNet(flex_base, FlexReLU(args.eps)).eval()
    print(f"# flex model: {n_relu} ReLU modules in features replaced + 1 final ReLU; eps {args.eps}", flush=True)

    zennit_attr, zennit_seed, zennit_info = (None, None, "zennit skipped (--no-zennit)")
    if not args.no_zennit:
        zennit_attr, zennit_seed, zennit_info = build_zennit(stock, args.eps)
    print(f"# {zennit_info}", flush=True)

    gen = torch.Generator().manual_seed(args.seed + 1)
    batches = [int(b) for b in args.batches.split(",") if b.strip()]

    def emit(impl, task, batch, fn):
        r = measure_quiet(fn, args.seconds, args.warmup, args.min_iters, args.retries, args.max_runq_wait)
        iters, elapsed = r["iterations"], r["wall"]
        frac = r["runq_wait_frac"]
        print(json.dumps({
            "impl": impl, "task": task, "batch": batch,
            "images_per_second": round(batch * iters / elapsed, 3),
            "ms_per_batch": round(1000.0 * elapsed / iters, 3),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "iterations": iters,
            "cpu_per_wall": round(r["cpu"] / elapsed, 2),
            "runq_wait_frac": None if frac is None else round(frac, 3),
            "contended": frac is not None and frac > args.max_runq_wait,
        }), flush=True)

    for batch in batches:
        x = torch.rand(batch, 3, args.size, args.size, generator=gen)

        # Sanity: the flex model computes the same logits as the stock one, and the heatmap is finite.
        with torch.inference_mode():
            ref = stock(x)
        logits, heat = flex_heatmap(flex, x, args.eps)
        assert heat.shape == (batch, 1, 3, args.size, args.size), heat.shape
        assert torch.isfinite(heat).all(), "non-finite heatmap"
        diff = (logits - ref).abs().max().item()
        print(f"# batch {batch}: flex vs stock logits max|diff| {diff:.3e}; heatmap sum/sample "
              f"{heat.flatten(1).sum(1).tolist()} top logit {logits.max(1).values.tolist()}", flush=True)

        def fwd():
            with torch.inference_mode():
                stock(x)

        emit("pytorch", "forward", batch, fwd)
        emit("pytorch", "forward+heatmap", batch, lambda: flex_heatmap(flex, x, args.eps))

        if zennit_attr is not None:
            with zennit_attr as attributor:
                _, rz = attributor(x, zennit_seed)
                assert torch.isfinite(rz).all(), "non-finite zennit heatmap"
                print(f"# batch {batch}: zennit heatmap sum/sample {rz.flatten(1).sum(1).tolist()}", flush=True)
                emit("zennit", "forward+heatmap", batch, lambda: attributor(x, zennit_seed))


if __name__ == "__main__":
    main()
