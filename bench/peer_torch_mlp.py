#!/usr/bin/env python3
"""stackae's PyTorch peer for the faster recipe's network, written the way a PyTorch user would.

The network of `stackae train --recipe fast` (784-200-200-10,
sigmoid hidden units, softmax output), trained end to end from PyTorch's default initialisation
by Adam (learning rate 1e-3, PyTorch's default, unless --learning-rate; `npm run bench` passes
the recipe's fine-tuning rate) on minibatches of 256 shuffled
images, with the cross-entropy loss and no weight decay. The test set is evaluated after every
epoch, outside the timed part: the seconds of each epoch are those of training alone.

Usage:  python3 bench/peer_torch_mlp.py MNIST_DIR [--threads N] [--epochs N] [--seed N] [--stop-at A]
        [--learning-rate R]
Prints one JSON object: each epoch's cumulative training seconds and test accuracy, the total,
torch's version, its BLAS and the threads it ran on.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_torch import blas_name, load_split  # noqa: E402  (the reference peer's MNIST reader)

BATCH = 256
LEARNING_RATE = 1e-3


def main():
    ap = argparse.ArgumentParser(description="784-200-200-10 sigmoid MLP by Adam in PyTorch (float32, CPU)")
    ap.add_argument("mnist_dir", help="the folder of MNIST's four IDX files (gzipped or not)")
    ap.add_argument("--threads", type=int, default=2, help="torch's intra-op threads (default 2)")
    ap.add_argument("--epochs", type=int, default=10, help="epochs of training (default 10)")
    ap.add_argument("--seed", type=int, default=1, help="torch's seed (default 1)")
    ap.add_argument("--stop-at", type=float, help="stop after the first epoch at this test accuracy or more")
    ap.add_argument("--learning-rate", type=float, default=LEARNING_RATE, help="Adam's rate (default 1e-3, PyTorch's)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    X, y = load_split(a.mnist_dir, "train")
    Xt, yt = load_split(a.mnist_dir, "t10k")

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 200), torch.nn.Sigmoid(),
        torch.nn.Linear(200, 200), torch.nn.Sigmoid(),
        torch.nn.Linear(200, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=a.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()

    epochs, trained = [], 0.0
    for epoch in range(1, a.epochs + 1):
        started = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(X)).split(BATCH):
            opt.zero_grad()
            loss = loss_fn(model(X[batch]), y[batch])
            loss.backward()
            opt.step()
        trained += time.perf_counter() - started
        model.eval()
        with torch.no_grad():
            accuracy = (model(Xt).argmax(1) == yt).double().mean().item()
        epochs.append({"epoch": epoch, "seconds": trained, "accuracy": accuracy})
        if a.stop_at is not None and accuracy >= a.stop_at:
            break

    threads = torch.get_num_threads()
    print(json.dumps({
        "label": f"PyTorch {torch.__version__} ({blas_name()}, {threads} thread{'' if threads == 1 else 's'})",
        "threads": threads,
        "epochs": epochs,
        "totalSeconds": trained,
        "pinning": f"torch.set_num_threads({a.threads}), set_num_interop_threads(1); "
                   f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
                   f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
                   f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}",
        # ru_maxrss is in KiB on Linux.
        "peakMemoryMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
