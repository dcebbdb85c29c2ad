#!/usr/bin/env python3
"""PyTorch (eager) reference implementations of the gan-rs benchmark workloads.

Mirrors crates/gan-train/benches/workloads/mod.rs exactly: same networks, shapes,
losses, optimizers, batch sizes, synthetic data and thread count. Runs one workload and
prints one JSON line (steps/s, images/s, peak RSS from resource.getrusage), the same
fields as `cargo run --release -p gan-train --example bench_steps`.

    python scripts/bench_pytorch.py --workload dcgan32 [--device cpu|cuda] [--threads N]
                                    [--steps N] [--warmup N] [--tuned]
                                    [--precision fp32|bf16] [--compile]

`cargo xtask bench` runs it with the venv that `cargo xtask setup` creates
(<cache>/torch-2.13.0/venv).

Workloads (one "step" = one D update + one G update, fresh noise for each):
  toy_mlp   G(z) = a*z + b (1-D); D = Linear(1,32)-LReLU(.2)-Linear(32,32)-LReLU(.2)-Linear(32,1);
            batch 256; real ~ N(4, 1.25^2); non-saturating BCE-with-logits; Adam 5e-3 (0.5, 0.999)
  dcgan32   PyTorch's DCGAN example at 3x32x32 (one block fewer), nz=100, ngf=ndf=64, batch 64,
  dcgan64   N(0, 0.02) init, BCE-with-logits, Adam 2e-4 (0.5, 0.999); real batches index_select'ed
            from 1024 synthetic images along a shuffled permutation
  sample32  generator forward, eval mode, no grad, 64 latents
  sample64
  loader32  one 64-image batch: randperm per epoch + index_select per batch

Shipped-config workloads (the networks and data of a config in configs/, as gan-rs runs it):
  fashion_dcgan   configs/dcgan-fashion-mnist.toml: DCGAN at 1x28x28, ngf=ndf=32 (G: ConvT(100,128,7,1,0)-BN-
                  ReLU-ConvT(128,64,4,2,1)-BN-ReLU-ConvT(64,1,4,2,1)-tanh; D: Conv(1,32,4,2,1)-LReLU(.2)-
                  Conv(32,64,4,2,1)-BN-LReLU(.2)-Conv(64,1,7,1,0); no biases), batch 64, Adam 2e-4 (0.5, 0.999),
                  BCE-with-logits; the real Fashion-MNIST training set read from its IDX .gz files
                  (gzip module), scaled to [-1, 1], reshuffled each epoch (torch.randperm)
  toy_gaussian1d  configs/gaussian1d.toml: the toy_mlp game
  toy_ring        configs/ring-non_saturating.toml: 8 Gaussians on the unit circle (std 0.01);
                  G = MLP 2-128-128-128-2 (ReLU), D = MLP 2-128-128-1 (LReLU .2), batch 256,
                  Adam 1e-3 (0.5, 0.999), BCE-with-logits, linear LR decay over the run, EMA (0.999)
                  of G's weights after every G step

--tuned writes the training workloads as gan-rs's Trainer runs them (the same maths):
fused Adam, D's weights frozen during G's step, G(z) under no_grad for D's step, and
channels-last DCGAN networks. The default is PyTorch's DCGAN example as written.

--precision bf16 runs every training forward pass (G and D, with the losses on D's
outputs cast back to fp32, as gan-rs's `train.precision = "bf16"` does) under
`torch.autocast(device, dtype=torch.bfloat16)`. --compile wraps G and D in
`torch.compile` (implies --tuned); the warm-up's time, which includes compiling, is
printed as "compile_seconds" and the timed window starts after it.
"""

import argparse
import gzip
import json
import math
import os
import resource
import struct
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

SEED = 1
DATASET_SIZE = 1024
TOY_BATCH = 256
IMAGE_BATCH = 64
WORKLOADS = [
    "toy_mlp", "dcgan32", "dcgan64", "sample32", "sample64", "loader32",
    "fashion_dcgan", "toy_gaussian1d", "toy_ring",
]
TOY_WORKLOADS = ("toy_mlp", "toy_gaussian1d", "toy_ring")
# Where gan-data finds Fashion-MNIST: <data dir>/fashion-mnist, then the Debian package's.
DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def d_loss(real, fake):
    return F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def g_loss(fake_score):
    return F.softplus(-fake_score).mean()


def adam(params, lr, fused=False):
    return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999), eps=1e-8, fused=fused or None)


class FrozenD:
    """`--tuned`: D's weights need no gradient during G's step (as gan-rs's Trainer does)."""

    def __init__(self, d, enabled):
        self.d, self.enabled = d, enabled

    def __enter__(self):
        if self.enabled:
            self.d.requires_grad_(False)

    def __exit__(self, *exc):
        if self.enabled:
            self.d.requires_grad_(True)


def fake_for_d(g, z, tuned):
    """G(z) for D's step: `.detach()` as in PyTorch's example, or (`--tuned`) no graph at all."""
    if tuned:
        with torch.no_grad():
            return g(z)
    return g(z).detach()


class Precision:
    """The autocast region of the training forward passes (a no-op in fp32)."""

    def __init__(self, device, precision):
        self.device_type, self.enabled = device.type, precision == "bf16"

    def forward(self):
        return torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.enabled)


class ToyMlp:
    def __init__(self, device, tuned=False, precision="fp32", compile=False):
        torch.manual_seed(SEED)
        self.device, self.tuned = device, tuned
        self.amp = Precision(device, precision)
        self.a = nn.Parameter(torch.ones(1, device=device))
        self.b = nn.Parameter(torch.zeros(1, device=device))
        self.d = nn.Sequential(
            nn.Linear(1, 32), nn.LeakyReLU(0.2),
            nn.Linear(32, 32), nn.LeakyReLU(0.2),
            nn.Linear(32, 1),
        ).to(device)
        self.opt_g = adam([self.a, self.b], 5e-3, fused=tuned)
        self.opt_d = adam(self.d.parameters(), 5e-3, fused=tuned)
        self.disc = torch.compile(self.d, dynamic=False) if compile else self.d

    def step(self):
        real = torch.randn(TOY_BATCH, 1, device=self.device) * 1.25 + 4.0
        z = torch.randn(TOY_BATCH, 1, device=self.device)
        fake = (z * self.a + self.b).detach()
        with self.amp.forward():
            out_real, out_fake = self.disc(real).float(), self.disc(fake).float()
        ld = d_loss(out_real.squeeze(1), out_fake.squeeze(1))
        self.opt_d.zero_grad()
        ld.backward()
        self.opt_d.step()
        z = torch.randn(TOY_BATCH, 1, device=self.device)
        fake = z * self.a + self.b
        with FrozenD(self.d, self.tuned):
            with self.amp.forward():
                out = self.disc(fake).float()
            lg = g_loss(out.squeeze(1))
            self.opt_g.zero_grad()
            lg.backward()
        self.opt_g.step()
        return ld.item(), lg.item()


def dcgan_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def dcgan_nets(size, nz=100, ngf=64, ndf=64, nc=3):
    """gan-rs's DCGAN layout (crates/gan-models/src/dcgan): PyTorch's example at 64x64, one
    block fewer at 32x32, and at 28x28 two blocks with 7x7 first/last kernels (7 -> 14 -> 28)."""
    mults = {64: [8, 4, 2, 1], 32: [4, 2, 1], 28: [4, 2]}[size]  # G, from its input
    d_mults = {64: [1, 2, 4, 8], 32: [1, 2, 4], 28: [1, 2]}[size]  # D, from its input
    k = 7 if size == 28 else 4
    g_layers, c_in = [], nz
    for i, m in enumerate(mults):
        kernel, stride, padding = (k, 1, 0) if i == 0 else (4, 2, 1)
        g_layers += [
            nn.ConvTranspose2d(c_in, m * ngf, kernel, stride, padding, bias=False),
            nn.BatchNorm2d(m * ngf),
            nn.ReLU(True),
        ]
        c_in = m * ngf
    g_layers += [nn.ConvTranspose2d(c_in, nc, 4, 2, 1, bias=False), nn.Tanh()]
    d_layers, c_in = [], nc
    for i, m in enumerate(d_mults):
        d_layers.append(nn.Conv2d(c_in, m * ndf, 4, 2, 1, bias=False))
        if i > 0:
            d_layers.append(nn.BatchNorm2d(m * ndf))
        d_layers.append(nn.LeakyReLU(0.2, inplace=True))
        c_in = m * ndf
    d_layers.append(nn.Conv2d(c_in, 1, k, 1, 0, bias=False))
    return nn.Sequential(*g_layers), nn.Sequential(*d_layers)


class Dcgan:
    """DCGAN training; real batches from `data` ([N, C, H, W] in [-1, 1], default: the
    synthetic 3-channel set of DATASET_SIZE images), widths ngf = ndf = `width`."""

    def __init__(self, size, device, tuned=False, precision="fp32", compile=False,
                 data=None, width=64):
        torch.manual_seed(SEED)
        self.device, self.tuned = device, tuned
        self.amp = Precision(device, precision)
        nc = 3 if data is None else data.shape[1]
        g, d = dcgan_nets(size, ngf=width, ndf=width, nc=nc)
        g.apply(dcgan_init)
        d.apply(dcgan_init)
        self.g, self.d = g.to(device), d.to(device)
        if tuned:
            self.g = self.g.to(memory_format=torch.channels_last)
            self.d = self.d.to(memory_format=torch.channels_last)
        self.opt_g = adam(self.g.parameters(), 2e-4, fused=tuned)
        self.opt_d = adam(self.d.parameters(), 2e-4, fused=tuned)
        self.gen = torch.compile(self.g, dynamic=False) if compile else self.g
        self.disc = torch.compile(self.d, dynamic=False) if compile else self.d
        torch.manual_seed(SEED)
        if data is None:
            data = torch.rand(DATASET_SIZE, 3, size, size) * 2.0 - 1.0
        self.data = data
        self.perm, self.pos = None, len(data)

    def real_batch(self):
        # A new permutation each epoch; the last incomplete batch of an epoch is dropped.
        n = len(self.data)
        if self.pos + IMAGE_BATCH > n:
            self.perm, self.pos = torch.randperm(n), 0
        idx = self.perm[self.pos:self.pos + IMAGE_BATCH]
        self.pos += IMAGE_BATCH
        return self.data.index_select(0, idx).to(self.device)

    def noise(self):
        return torch.randn(IMAGE_BATCH, 100, 1, 1, device=self.device)

    def step(self):
        self.g.train()
        self.d.train()
        real = self.real_batch()
        with self.amp.forward():
            fake = fake_for_d(self.gen, self.noise(), self.tuned)
            out_real, out_fake = self.disc(real).float(), self.disc(fake).float()
        ld = d_loss(out_real.reshape(-1), out_fake.reshape(-1))
        self.opt_d.zero_grad()
        ld.backward()
        self.opt_d.step()
        with FrozenD(self.d, self.tuned):
            with self.amp.forward():
                out = self.disc(self.gen(self.noise())).float()
            lg = g_loss(out.reshape(-1))
            self.opt_g.zero_grad()
            lg.backward()
        self.opt_g.step()
        return ld.item(), lg.item()

    def sample(self):
        self.g.eval()
        with torch.no_grad():
            return self.g(self.noise()).cpu()


def data_dirs():
    """gan-data's default data directory rule: $GAN_DATA_DIR, else $XDG_CACHE_HOME/gan-rs/data,
    else $HOME/.cache/gan-rs/data (empty values count as unset)."""
    for var, tail in (("GAN_DATA_DIR", ()), ("XDG_CACHE_HOME", ("gan-rs", "data")),
                      ("HOME", (".cache", "gan-rs", "data"))):
        if os.environ.get(var):
            return os.path.join(os.environ[var], *tail)
    return None


def read_idx_gz(path, magic):
    """An IDX file (gzip-compressed) as a uint8 tensor of its dimensions."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    got, = struct.unpack(">I", raw[:4])
    if got != magic:
        raise SystemExit(f"error: {path}: not an IDX file of magic {magic} (got {got})")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def fashion_mnist_train():
    """The Fashion-MNIST training images as [60000, 1, 28, 28] float32 in [-1, 1] (x / 127.5 - 1,
    as gan-data scales them), from the directory gan-data finds them in."""
    base = data_dirs()
    dirs = ([os.path.join(base, "fashion-mnist")] if base else []) + [DEBIAN_FASHION_MNIST_DIR]
    for d in dirs:
        path = os.path.join(d, "train-images-idx3-ubyte.gz")
        if os.path.exists(path):
            images = read_idx_gz(path, 2051)
            return (images.unsqueeze(1).float() / 127.5 - 1.0).contiguous()
    raise SystemExit(f"error: no Fashion-MNIST train-images-idx3-ubyte.gz under {dirs}")


class ToyRing:
    """configs/ring-non_saturating.toml: MLP G and D on the 8-Gaussian ring, with linear LR
    decay over `total_steps` and an EMA of G's weights."""

    def __init__(self, device, total_steps, tuned=False, precision="fp32", compile=False):
        torch.manual_seed(SEED)
        self.device, self.tuned = device, tuned
        self.amp = Precision(device, precision)
        self.g = nn.Sequential(
            nn.Linear(2, 128), nn.ReLU(),
            nn.Linear(128, 128), nn.ReLU(),
            nn.Linear(128, 128), nn.ReLU(),
            nn.Linear(128, 2),
        ).to(device)
        self.d = nn.Sequential(
            nn.Linear(2, 128), nn.LeakyReLU(0.2),
            nn.Linear(128, 128), nn.LeakyReLU(0.2),
            nn.Linear(128, 1),
        ).to(device)
        self.lr, self.total, self.done = 1e-3, max(total_steps, 1), 0
        self.opt_g = adam(self.g.parameters(), self.lr, fused=tuned)
        self.opt_d = adam(self.d.parameters(), self.lr, fused=tuned)
        self.ema = [p.detach().clone() for p in self.g.parameters()]
        angles = torch.arange(8, dtype=torch.float32) * (2 * math.pi / 8)
        self.centers = torch.stack([angles.cos(), angles.sin()], 1).to(device)
        self.gen = torch.compile(self.g, dynamic=False) if compile else self.g
        self.disc = torch.compile(self.d, dynamic=False) if compile else self.d

    def real_batch(self):
        k = torch.randint(0, 8, (TOY_BATCH,), device=self.device)
        return self.centers[k] + 0.01 * torch.randn(TOY_BATCH, 2, device=self.device)

    def noise(self):
        return torch.randn(TOY_BATCH, 2, device=self.device)

    def step(self):
        scale = max(1.0 - self.done / self.total, 0.0)
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = self.lr * scale
        real = self.real_batch()
        with self.amp.forward():
            fake = fake_for_d(self.gen, self.noise(), self.tuned)
            out_real, out_fake = self.disc(real).float(), self.disc(fake).float()
        ld = d_loss(out_real.squeeze(1), out_fake.squeeze(1))
        self.opt_d.zero_grad()
        ld.backward()
        self.opt_d.step()
        with FrozenD(self.d, self.tuned):
            with self.amp.forward():
                out = self.disc(self.gen(self.noise())).float()
            lg = g_loss(out.squeeze(1))
            self.opt_g.zero_grad()
            lg.backward()
        self.opt_g.step()
        with torch.no_grad():
            for a, p in zip(self.ema, self.g.parameters()):
                a.lerp_(p, 1.0 - 0.999)
        self.done += 1
        return ld.item(), lg.item()


class Loader:
    def __init__(self, size):
        torch.manual_seed(SEED)
        self.data = torch.rand(DATASET_SIZE, 3, size, size) * 2.0 - 1.0
        self.labels = torch.randint(0, 10, (DATASET_SIZE,))
        self.perm, self.pos = torch.randperm(DATASET_SIZE), 0

    def step(self):
        if self.pos + IMAGE_BATCH > DATASET_SIZE:
            self.perm, self.pos = torch.randperm(DATASET_SIZE), 0
        idx = self.perm[self.pos:self.pos + IMAGE_BATCH]
        self.pos += IMAGE_BATCH
        return self.data.index_select(0, idx), self.labels.index_select(0, idx)


def build(workload, device, tuned=False, precision="fp32", compile=False, total_steps=1):
    if workload in ("toy_mlp", "toy_gaussian1d"):
        return ToyMlp(device, tuned, precision, compile).step
    if workload == "toy_ring":
        return ToyRing(device, total_steps, tuned, precision, compile).step
    if workload == "fashion_dcgan":
        return Dcgan(28, device, tuned, precision, compile, data=fashion_mnist_train(),
                     width=32).step
    if workload in ("dcgan32", "dcgan64"):
        return Dcgan(int(workload[-2:]), device, tuned, precision, compile).step
    if precision != "fp32" or compile:
        raise SystemExit(f"error: --precision/--compile apply to training workloads, not {workload}")
    if workload in ("sample32", "sample64"):
        return Dcgan(int(workload[-2:]), device).sample
    return Loader(32).step


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", choices=WORKLOADS, required=True)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--threads", type=int, default=None,
                   help="intra-op threads (default: 1 for the toy workloads, else torch's default)")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--tuned", action="store_true",
                   help="train as gan-rs's Trainer does: fused Adam, D frozen during G's "
                        "step, no graph for G(z) in D's step, channels-last networks "
                        "(same maths)")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="bf16: the training forward passes under torch.autocast")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile G and D (implies --tuned); compile time is the warm-up")
    a = p.parse_args()
    if a.compile:
        a.tuned = True
        a.warmup = max(a.warmup, 2)
    if a.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: torch.cuda.is_available() is False", file=sys.stderr)
        return 1
    threads = a.threads or (1 if a.workload in TOY_WORKLOADS else torch.get_num_threads())
    torch.set_num_threads(threads)
    device = torch.device("cuda:0" if a.device == "cuda" else "cpu")
    steps = max(a.steps, 1)
    step = build(a.workload, device, a.tuned, a.precision, a.compile, a.warmup + steps)
    t = time.perf_counter()
    for _ in range(a.warmup):
        step()
    sync(device)
    warmup_seconds = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    seconds = time.perf_counter() - t
    batch = TOY_BATCH if a.workload in TOY_WORKLOADS else IMAGE_BATCH
    sps = steps / seconds
    line = {
        "side": "pytorch",
        "impl": "compile" if a.compile else "eager-tuned" if a.tuned else "eager",
        "precision": a.precision,
        "workload": a.workload,
        "device": a.device,
        "threads": torch.get_num_threads(),
        "batch": batch,
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": sps,
        "images_per_s": sps * batch,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "torch": torch.__version__,
    }
    if a.compile:
        line["compile_seconds"] = warmup_seconds
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
