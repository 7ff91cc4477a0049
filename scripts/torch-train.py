#!/usr/bin/env python3
"""A small real PyTorch training run for checks on a GPU machine (no data download: synthetic images).

Prints Keras-style `Epoch i/N` lines so `profiler run` finds the epochs. Usage:
  python3 scripts/torch-train.py --epochs 20 --steps 200 --batch 256
"""
import argparse
import sys
import time

import torch
from torch import nn


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--size", type=int, default=64, help="image side in pixels")
    a = p.parse_args()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(128, 256, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10),
    ).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(a.batch, 3, a.size, a.size, device=dev)
    y = torch.randint(0, 10, (a.batch,), device=dev)
    for epoch in range(1, a.epochs + 1):
        print(f"Epoch {epoch}/{a.epochs}", flush=True)
        t0 = time.time()
        for _ in range(a.steps):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        print(f"{a.steps}/{a.steps} - {time.time() - t0:.1f}s - loss: {loss.item():.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
