#!/usr/bin/env python3
"""The kernel-level measurements behind BENCHMARKS.md's profile, in PyTorch (same libtorch).

Times, on one thread (ms per call, median of --repeats):
  - LeakyReLU(0.2) forward + backward over DCGAN-32 D's three activation shapes, in the
    forms available: F.leaky_relu (what gan-models now calls through its C++ shim), in
    place, prelu with a constant weight (what tch alone can express) and torch.where;
  - one Adam step over the DCGAN-32 / DCGAN-64 G + D parameters: torch.optim.Adam's
    CPU default (single-tensor), foreach=True and fused=True (what gan-train now calls).

    python scripts/profile_kernels.py [--threads 1] [--repeats 20]
"""

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_pytorch import dcgan_nets  # noqa: E402

SHAPES = [(64, 64, 16, 16), (64, 128, 8, 8), (64, 256, 4, 4)]


def timed(fn, repeats):
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(samples)


def leaky_relu_forms(repeats):
    torch.manual_seed(1)
    xs = [torch.randn(s, requires_grad=True) for s in SHAPES]
    weight = torch.tensor([0.2])
    forms = {
        "leaky_relu": lambda h: F.leaky_relu(h, 0.2),
        "leaky_relu_inplace": lambda h: F.leaky_relu(h, 0.2, inplace=True),
        "prelu": lambda h: F.prelu(h, weight),
        "where": lambda h: torch.where(h > 0, h, 0.2 * h),
    }
    for name, f in forms.items():
        def one_pass():
            for x in xs:
                f(x * 1.0).sum().backward()
        print(f"leaky_relu_dcgan32_d/{name}: {timed(one_pass, repeats):.2f} ms")


def adam_forms(repeats):
    for size in (32, 64):
        g, d = dcgan_nets(size)
        params = list(g.parameters()) + list(d.parameters())
        for p in params:
            p.grad = torch.randn_like(p)
        n = sum(p.numel() for p in params)
        for name, kw in (("default", {}), ("foreach", {"foreach": True}), ("fused", {"fused": True})):
            opt = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999), **kw)
            print(f"adam_dcgan{size} ({n} parameters)/{name}: {timed(opt.step, repeats):.2f} ms")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    leaky_relu_forms(a.repeats)
    adam_forms(a.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
