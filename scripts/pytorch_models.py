#!/usr/bin/env python3
"""PyTorch reference modules for gan-rs's networks, and a small CLI around them.

`gan export --to pytorch` writes the `state_dict` of one of these modules, and
`gan import --from pytorch` reads one, so weights move between gan-rs and PyTorch with
the same names, shapes and memory layouts:

    import safetensors.torch, pytorch_models
    net = pytorch_models.load("netG.safetensors")          # builds the module from the
                                                           # file's metadata, eval mode
    # or, by hand:
    net = pytorch_models.DcganGenerator(nz=100, ngf=64, nc=3, image_size=64)
    net.load_state_dict(safetensors.torch.load_file("netG.safetensors"))

Modules (their `kind` in the JSON spec that exported files record under the metadata
key `gan_rs_reference`):

- `DcganGenerator` (`dcgan_generator`) and `DcganDiscriminator` (`dcgan_discriminator`):
  PyTorch's DCGAN example (pytorch/examples, dcgan/main.py), `self.main =
  nn.Sequential(...)`, bias-free convolutions, at 64 px exactly the example; 32 px has one
  block fewer; 28 px starts (G) and ends (D) with a 7x7 layer. The discriminator returns
  logits `[N]`: the example's final `nn.Sigmoid()` (no parameters) is left out, and its
  `Sigmoid` + `nn.BCELoss` equals `nn.BCEWithLogitsLoss` on these logits.
- `MlpGenerator` (`mlp_generator`), `MlpDiscriminator` (`mlp_discriminator`): the toy
  networks, `self.main = nn.Sequential(Linear, activation, [Dropout,] ..., Linear
  [, output activation])`; an activation `"none"` is an `nn.Identity` so indices never
  shift. The discriminator returns logits `[N]`.
- `AffineGenerator` (`affine_generator`): gan-rs's linear generator `G(z) = scale * z +
  shift` (parameters `scale`, `shift`).

Batch norm: gan-rs (tch) keeps no `num_batches_tracked`; exported files hold 0 there,
which PyTorch only reads with `momentum=None`, and imports ignore it.

CLI (used by gan-rs's tests; `python scripts/pytorch_models.py CMD --help`):

    init     --spec JSON --seed S --out W.safetensors|W.pth   seeded random weights
    forward  --weights W --input X.npy --out Y.npy            eval-mode outputs
                                                              (--mode train: batch stats)
    compare  A B                                              max |A - B| per tensor
    convert  W.pth W.safetensors                              a torch.save state dict
                                                              to safetensors
"""

import argparse
import json
import sys

import torch
from torch import nn

# Negative slope of LeakyReLU in gan-rs (and the DCGAN example).
LEAKY_RELU_SLOPE = 0.2
# Image sizes of the DCGAN modules.
DCGAN_IMAGE_SIZES = (28, 32, 64)
# Metadata key of exported files holding the module's spec as JSON.
REFERENCE_METADATA_KEY = "gan_rs_reference"


def _check_size(image_size):
    if image_size not in DCGAN_IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {DCGAN_IMAGE_SIZES}, got {image_size}")


def _base_kernel(image_size):
    """Kernel of the first generator / last discriminator layer."""
    return 7 if image_size == 28 else 4


class DcganGenerator(nn.Module):
    """z [N, nz] (or [N, nz, 1, 1]) -> images [N, nc, S, S] in (-1, 1)."""

    def __init__(self, nz=100, ngf=64, nc=3, image_size=64):
        super().__init__()
        _check_size(image_size)
        mults = {64: [8, 4, 2, 1], 32: [4, 2, 1], 28: [4, 2]}[image_size]
        layers, c_in = [], nz
        for i, m in enumerate(mults):
            k, stride, padding = (_base_kernel(image_size), 1, 0) if i == 0 else (4, 2, 1)
            layers += [
                nn.ConvTranspose2d(c_in, m * ngf, k, stride, padding, bias=False),
                nn.BatchNorm2d(m * ngf),
                nn.ReLU(True),
            ]
            c_in = m * ngf
        layers += [nn.ConvTranspose2d(c_in, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.nz = nz
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))


class DcganDiscriminator(nn.Module):
    """images [N, nc, S, S] -> logits [N] (no Sigmoid)."""

    def __init__(self, ndf=64, nc=3, image_size=64):
        super().__init__()
        _check_size(image_size)
        mults = {64: [1, 2, 4, 8], 32: [1, 2, 4], 28: [1, 2]}[image_size]
        layers, c_in = [], nc
        for i, m in enumerate(mults):
            layers.append(nn.Conv2d(c_in, m * ndf, 4, 2, 1, bias=False))
            if i > 0:
                layers.append(nn.BatchNorm2d(m * ndf))
            layers.append(nn.LeakyReLU(LEAKY_RELU_SLOPE, inplace=True))
            c_in = m * ndf
        k = _base_kernel(image_size)
        layers.append(nn.Conv2d(c_in, 1, k, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x).reshape(-1)


def activation(name):
    """The module of a gan-rs activation name."""
    table = {
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE),
        "tanh": nn.Tanh,
        "elu": nn.ELU,
        "softplus": nn.Softplus,
        "sigmoid": nn.Sigmoid,
        "none": nn.Identity,
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r} (one of {sorted(table)})")
    return table[name]()


def _mlp(sizes, act, dropout=0.0, output_activation="none"):
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least input and output sizes, got {sizes}")
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(fan_in, fan_out), activation(act)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    if output_activation != "none":
        layers.append(activation(output_activation))
    return nn.Sequential(*layers)


class MlpGenerator(nn.Module):
    """z [N, sizes[0]] -> x [N, sizes[-1]]."""

    def __init__(self, sizes, activation="relu", output_activation="none"):
        super().__init__()
        self.main = _mlp(sizes, activation, output_activation=output_activation)

    def forward(self, z):
        return self.main(z)


class MlpDiscriminator(nn.Module):
    """x [N, ...] (flattened to sizes[0]) -> logits [N]."""

    def __init__(self, sizes, activation="leaky_relu", dropout=0.0):
        super().__init__()
        if sizes[-1] != 1:
            raise ValueError(f"a discriminator has one output, got sizes {sizes}")
        self.main = _mlp(sizes, activation, dropout=dropout)

    def forward(self, x):
        return self.main(x.flatten(1)).reshape(-1)


class AffineGenerator(nn.Module):
    """G(z) = scale * z + shift, element-wise (gan-rs's linear generator)."""

    def __init__(self, dim):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))
        self.shift = nn.Parameter(torch.zeros(dim))

    def forward(self, z):
        return z * self.scale + self.shift


MODULES = {
    "dcgan_generator": DcganGenerator,
    "dcgan_discriminator": DcganDiscriminator,
    "mlp_generator": MlpGenerator,
    "mlp_discriminator": MlpDiscriminator,
    "affine_generator": AffineGenerator,
}


def build(spec):
    """The module of a spec: a dict (or JSON text) like gan-rs's exports record."""
    if isinstance(spec, str):
        spec = json.loads(spec)
    spec = dict(spec)
    kind = spec.pop("kind")
    if kind not in MODULES:
        raise ValueError(f"unknown module kind {kind!r} (one of {sorted(MODULES)})")
    return MODULES[kind](**spec)


def dcgan_init(m):
    """The DCGAN example's `weights_init`: conv weights N(0, 0.02), batch-norm scales
    N(1, 0.02) and shifts 0."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def read_state_dict(path):
    """A state dict from a .safetensors file or a torch.save pickle."""
    if str(path).endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


def spec_of(path):
    """The spec an exported .safetensors file records, or None."""
    if not str(path).endswith(".safetensors"):
        return None
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        text = (f.metadata() or {}).get(REFERENCE_METADATA_KEY)
    return json.loads(text) if text else None


def load(path, spec=None):
    """The module of an exported file (spec from its metadata unless given), with its
    weights loaded strictly, in eval mode."""
    spec = spec if spec is not None else spec_of(path)
    if spec is None:
        raise ValueError(f"{path} records no {REFERENCE_METADATA_KEY}; pass the spec")
    net = build(spec)
    net.load_state_dict(read_state_dict(path), strict=True)
    return net.eval()


def _input_shape(spec, n):
    kind = spec["kind"]
    if kind == "dcgan_generator":
        return (n, spec["nz"])
    if kind == "dcgan_discriminator":
        return (n, spec["nc"], spec["image_size"], spec["image_size"])
    if kind == "affine_generator":
        return (n, spec["dim"])
    return (n, spec["sizes"][0])


def cmd_init(args):
    """Seeded random weights, with batch-norm running statistics made by a few
    train-mode passes (so that eval-mode comparisons exercise them)."""
    spec = json.loads(args.spec)
    torch.manual_seed(args.seed)
    net = build(spec)
    if spec["kind"].startswith("dcgan"):
        net.apply(dcgan_init)
    if spec["kind"] == "affine_generator":
        # Not the identity it starts as.
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.5)
    net.train()
    with torch.no_grad():
        for _ in range(args.warmup_batches):
            net(torch.randn(*_input_shape(spec, 16)))
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    if args.out.endswith(".safetensors"):
        from safetensors.torch import save_file

        save_file(state, args.out, metadata={REFERENCE_METADATA_KEY: json.dumps(spec)})
    else:
        torch.save(state, args.out)
    print(f"wrote {len(state)} tensors of {type(net).__name__} to {args.out}")


def cmd_forward(args):
    import numpy as np

    spec = json.loads(args.spec) if args.spec else None
    net = load(args.weights, spec)
    # Train mode (batch statistics) only as a control: gan-rs samples in eval mode.
    net.train(args.mode == "train")
    x = torch.from_numpy(np.load(args.input).astype(np.float32))
    with torch.no_grad():
        y = net(x)
    np.save(args.out, y.numpy().astype(np.float32))
    print(f"mode={args.mode} input={tuple(x.shape)} output={tuple(y.shape)}")


def cmd_compare(args):
    a, b = read_state_dict(args.a), read_state_dict(args.b)
    ignore = {k for k in set(a) | set(b) if k.endswith("num_batches_tracked")}
    ka, kb = set(a) - ignore, set(b) - ignore
    if ka != kb:
        print(f"names differ: only in {args.a}: {sorted(ka - kb)}; only in {args.b}: {sorted(kb - ka)}")
        sys.exit(1)
    worst = 0.0
    for k in sorted(ka):
        if a[k].shape != b[k].shape or a[k].dtype != b[k].dtype:
            print(f"{k}: {a[k].dtype}{list(a[k].shape)} vs {b[k].dtype}{list(b[k].shape)}")
            sys.exit(1)
        if not a[k].is_contiguous() or not b[k].is_contiguous():
            print(f"{k}: not contiguous")
            sys.exit(1)
        worst = max(worst, (a[k].double() - b[k].double()).abs().max().item())
    print(f"tensors={len(ka)} max_abs_diff={worst:.3e}")


def cmd_convert(args):
    from safetensors.torch import save_file

    state = read_state_dict(args.src)
    save_file({k: v.detach().contiguous() for k, v in state.items()}, args.dst)
    print(f"wrote {len(state)} tensors to {args.dst}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init", help="seeded random weights of a module")
    p.add_argument("--spec", required=True, help='JSON, e.g. {"kind": "dcgan_generator", ...}')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup-batches", type=int, default=3,
                   help="train-mode passes that set the batch-norm running statistics")
    p.add_argument("--out", required=True, help=".safetensors, or anything else for torch.save")
    p.set_defaults(fn=cmd_init)
    p = sub.add_parser("forward", help="eval-mode outputs of a module for an .npy input")
    p.add_argument("--weights", required=True)
    p.add_argument("--spec", help="JSON spec (default: the file's metadata)")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=["eval", "train"], default="eval",
                   help="eval: batch-norm running statistics, no dropout (default)")
    p.set_defaults(fn=cmd_forward)
    p = sub.add_parser("compare", help="max |a - b| over two state dicts' tensors")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(fn=cmd_compare)
    p = sub.add_parser("convert", help="a torch.save state dict to safetensors")
    p.add_argument("src")
    p.add_argument("dst")
    p.set_defaults(fn=cmd_convert)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
