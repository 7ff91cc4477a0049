#!/usr/bin/env python3
"""Pretends to train a Keras model: prints what Keras 3 `model.fit(verbose=1)` prints, stdlib only.

Each epoch prints `Epoch i/N`, then a progress bar redrawn with backspaces and `\\r` (as Keras 3 does on POSIX),
then a final line with loss/accuracy. Use it to try `profiler run` without a GPU or a framework:

    profiler run -- python3 scripts/demo-train.py --epochs 12 --epoch-seconds 3
"""
import argparse
import math
import random
import signal
import sys
import time

BAR_WIDTH = 20


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=12, help="number of epochs (default 12)")
    p.add_argument("--epoch-seconds", type=float, default=3.0, help="seconds per epoch (default 3)")
    p.add_argument("--steps", type=int, default=20, help="batches per epoch (default 20)")
    p.add_argument("--exit-code", type=int, default=0, help="exit status once done (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of the made-up metrics")
    args = p.parse_args(argv)
    if args.epochs < 0 or args.steps < 1 or args.epoch_seconds < 0:
        p.error("--epochs must be >= 0, --steps >= 1 and --epoch-seconds >= 0")
    return args


def on_signal(signum, _frame):
    # Conventional status for a program stopped by a signal: 128 + its number.
    sys.stdout.flush()
    sys.stderr.write(f"\nInterrupted by signal {signum}\n")
    sys.stderr.flush()
    sys.exit(128 + signum)


def bar(step, steps):
    digits = len(str(steps))
    done = int(BAR_WIDTH * step / steps)
    count = f"\x1b[1m{step:{digits}d}/{steps}\x1b[0m "
    return count + (f"\x1b[32m{'━' * done}\x1b[0m" if done else "") + f"\x1b[37m{'━' * (BAR_WIDTH - done)}\x1b[0m"


def visible_len(text):
    out, i = 0, 0
    while i < len(text):
        if text[i] == "\x1b":
            i = text.index("m", i) + 1
        else:
            out, i = out + 1, i + 1
    return out


def light_work(n):
    # A little arithmetic so the process shows some CPU use, without heating anything.
    return sum(math.sqrt(i) for i in range(n))


def train(args):
    rng = random.Random(args.seed)
    out = sys.stdout
    step_s = args.epoch_seconds / args.steps
    loss, acc = 2.3, 0.1
    for epoch in range(1, args.epochs + 1):
        if args.epochs > 1:  # Keras prints the marker only when there is more than one epoch
            out.write(f"Epoch {epoch}/{args.epochs}\n")
        start, prev = time.monotonic(), 0
        for step in range(1, args.steps + 1):
            light_work(2000)
            time.sleep(step_s)
            loss = max(0.02, loss * (0.985 - 0.01 * rng.random()))
            acc = min(0.999, acc + (1 - acc) * 0.02 * rng.random())
            per_step = (time.monotonic() - start) / step
            final = step == args.steps
            if final:
                timing = f" \x1b[1m{time.monotonic() - start:.0f}s\x1b[0m {per_step * 1000:.0f}ms/step"
                metrics = f" - accuracy: {acc:.4f} - loss: {loss:.4f} - val_accuracy: {acc * 0.97:.4f} - val_loss: {loss * 1.1:.4f}"
            else:
                timing = f" \x1b[1m{per_step * (args.steps - step):.0f}s\x1b[0m {per_step * 1000:.0f}ms/step"
                metrics = f" - accuracy: {acc:.4f} - loss: {loss:.4f}"
            line = bar(step, args.steps) + timing + metrics
            width = visible_len(line)
            pad = " " * max(prev - width, 0)
            out.write("\b" * prev + "\r" + line + pad + ("\n" if final else ""))
            out.flush()
            prev = width
        out.flush()


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # behave like a Unix tool when piped into `head`
    train(args)
    sys.stdout.flush()
    return args.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
