#!/usr/bin/env python3
"""Salimans et al.'s MNIST semi-supervised GAN in PyTorch, transcribed line by line from
OpenAI's improved-gan (mnist_svhn_cifar10/train_mnist_feature_matching.py and nn.py), as a
yardstick for gan-rs's configs/ssgan-mnist.toml on the same IDX files.

    python scripts/ssgan_reference.py --data ../shared/data/mnist --steps 2000 --seed 1

Differences from the Theano original, all deliberate: PyTorch's RNG, and `--adam-eps-inside`
(default on) reproduces its Adam (sqrt(v_hat + 1e-8) in the denominator). The test error is
measured with the live D (`--eval-avg` for the reference's parameter average, rate 1e-4).
"""
import argparse, gzip, json, math, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data[16:], np.uint8).reshape(n, rows * cols).astype(np.float32) / 255.0
    return np.frombuffer(data[8:], np.uint8).astype(np.int64)


class WNDense(nn.Module):
    """nn.DenseLayer: W = theta * (scale / ||theta||) per unit, data-dependent init."""

    def __init__(self, n_in, n_out, train_scale=False, relu=True):
        super().__init__()
        self.theta = nn.Parameter(torch.randn(n_in, n_out) * 0.1)
        self.scale = nn.Parameter(torch.ones(n_out), requires_grad=train_scale)
        self.b = nn.Parameter(torch.zeros(n_out))
        self.relu = relu

    def forward(self, x, init=False):
        w = self.theta * (self.scale / self.theta.pow(2).sum(0).sqrt())
        a = x @ w
        if init:
            with torch.no_grad():
                m = a.mean(0)
                s = (a - m).pow(2).mean(0).sqrt()
                self.scale.mul_(1.0 / s)
                self.b.copy_(-m / s)
            a = (a - m) / s
        else:
            a = a + self.b
        return F.relu(a) if self.relu else a


class D(nn.Module):
    def __init__(self):
        super().__init__()
        sizes = [784, 1000, 500, 250, 250, 250]
        self.hidden = nn.ModuleList(WNDense(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = WNDense(250, 10, train_scale=True, relu=False)

    def forward(self, x, train=True, init=False, features=False):
        h = x + 0.3 * torch.randn_like(x) if train else x
        for layer in self.hidden:
            f = layer(h, init)
            h = f + 0.5 * torch.randn_like(f) if train else f
        if features:
            return f
        return self.out(h, init)


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(100, 500, bias=False)
        self.b1 = nn.Parameter(torch.zeros(500))
        self.fc2 = nn.Linear(500, 500, bias=False)
        self.b2 = nn.Parameter(torch.zeros(500))
        nn.init.xavier_uniform_(self.fc1.weight)
        nn.init.xavier_uniform_(self.fc2.weight)
        theta = torch.empty(784, 500)
        nn.init.xavier_uniform_(theta)
        self.theta = nn.Parameter(theta)
        self.scale = nn.Parameter(torch.ones(784))
        self.b3 = nn.Parameter(torch.zeros(784))

    @staticmethod
    def bn(x, b):
        m = x.mean(0)
        v = (x - m).pow(2).mean(0)
        return (x - m) / torch.sqrt(1e-6 + v) + b

    def forward(self, n):
        z = torch.rand(n, 100)
        h = F.softplus(self.bn(self.fc1(z), self.b1))
        h = F.softplus(self.bn(self.fc2(h), self.b2))
        w = self.theta * (self.scale / torch.sqrt(1e-6 + self.theta.pow(2).sum(1))).unsqueeze(1)
        return torch.sigmoid(h @ w.t() + self.b3)


class TheanoAdam(torch.optim.Optimizer):
    """nn.adam_updates: eps inside the square root."""

    def __init__(self, params, lr, beta1=0.5, beta2=0.999):
        super().__init__([p for p in params if p.requires_grad], dict(lr=lr, beta1=beta1, beta2=beta2))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["t"], st["m"], st["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                st["t"] += 1
                t, b1, b2 = st["t"], group["beta1"], group["beta2"]
                st["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                st["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                mh = st["m"] / (1 - b1**t)
                vh = st["v"] / (1 - b2**t)
                p.sub_(group["lr"] * mh / torch.sqrt(vh + 1e-8))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=10, help="labels per class")
    ap.add_argument("--unlabeled-weight", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--torch-adam", action="store_true", help="torch.optim.Adam (eps outside)")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fm-same-batch", action="store_true",
                    help="match features of D's own real batch (gan-rs) instead of a second one")
    ap.add_argument("--theta-std", type=float, default=None,
                    help="initialise G's output directions N(0, std²) instead of Glorot (gan-rs: 0.1)")
    ap.add_argument("--fm-sum", action="store_true",
                    help="sum the squared feature differences (gan-rs, the paper) instead of the mean")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    trainx = read_idx(f"{args.data}/train-images-idx3-ubyte.gz")
    trainy = read_idx(f"{args.data}/train-labels-idx1-ubyte.gz")
    testx = torch.from_numpy(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz"))
    testy = torch.from_numpy(read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz"))
    inds = rng.permutation(len(trainx))
    tx, ty = trainx[inds], trainy[inds]
    txs = np.concatenate([tx[ty == j][: args.count] for j in range(10)])
    tys = np.concatenate([ty[ty == j][: args.count] for j in range(10)])
    d, g = D(), G()
    if args.theta_std is not None:
        with torch.no_grad():
            g.theta.normal_(0.0, args.theta_std)
    with torch.no_grad():
        d(torch.from_numpy(tx[:500]), train=True, init=True)
    opt = (lambda ps: torch.optim.Adam(ps, lr=args.lr, betas=(0.5, 0.999))) if args.torch_adam else (
        lambda ps: TheanoAdam(ps, lr=args.lr))
    opt_d = opt([p for p in d.parameters() if p.requires_grad])
    opt_g = opt(list(g.parameters()))
    bs = 100
    unl = torch.from_numpy(trainx)
    lab_x, lab_y = torch.from_numpy(txs), torch.from_numpy(tys)
    perm_u, perm_u2, perm_l = [], [], []
    start = time.time()
    log = []
    for step in range(1, args.steps + 1):
        if len(perm_u) < bs:
            perm_u = list(rng.permutation(len(unl)))
            perm_u2 = list(rng.permutation(len(unl)))
        if len(perm_l) < bs:
            perm_l = list(rng.permutation(len(lab_x)))
        iu = [perm_u.pop() for _ in range(bs)]
        iu2 = [perm_u2.pop() for _ in range(bs)]
        il = [perm_l.pop() for _ in range(min(bs, len(lab_x)))]
        xl, yl, xu, xu2 = lab_x[il], lab_y[il], unl[iu], unl[iu2]
        out_lab = d(xl)
        out_unl = d(xu)
        out_fake = d(g(bs).detach())
        l_lab = out_lab.gather(1, yl[:, None]).squeeze(1)
        loss_lab = -l_lab.mean() + torch.logsumexp(out_lab, 1).mean()
        l_unl = torch.logsumexp(out_unl, 1)
        l_fake = torch.logsumexp(out_fake, 1)
        loss_unl = -0.5 * l_unl.mean() + 0.5 * F.softplus(l_unl).mean() + 0.5 * F.softplus(l_fake).mean()
        opt_d.zero_grad()
        (loss_lab + args.unlabeled_weight * loss_unl).backward()
        opt_d.step()
        mom_gen = d(g(bs), features=True).mean(0)
        mom_real = d(xu if args.fm_same_batch else xu2, features=True).mean(0)
        sq = (mom_gen - mom_real.detach()).pow(2)
        loss_gen = sq.sum() if args.fm_sum else sq.mean()
        opt_g.zero_grad()
        loss_gen.backward()
        opt_g.step()
        if step % args.eval_every == 0 or step == args.steps:
            with torch.no_grad():
                err = (d(testx, train=False).argmax(1) != testy).float().mean().item()
            row = dict(step=step, loss_lab=loss_lab.item(), loss_unl=loss_unl.item(),
                       loss_gen=loss_gen.item(), test_error=err, seconds=time.time() - start)
            log.append(row)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
