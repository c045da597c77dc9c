#!/usr/bin/env python3
"""Write the fresh random datasets of `ibcert bench --peers` (issue 16): 10 points in
d = 10, coordinates uniform in [-1, 1] rounded to 3 decimals (stored exactly as decimal
strings), random labels, from Python's random.Random(seed). Ten points in general
position in R^10 are linearly separable with any labels (ibcert checks it exactly before
integrating). Seed 1601 is the bundled case cases/random10b.toml (with its checks added by
hand); the others are written to benches/peers/cases/.

    python3 benches/peers/make_random.py SEED [SEED ...]   # prints each case to stdout
"""
import random
import sys


def case(seed):
    rng = random.Random(seed)
    pts = [[f"{round(rng.uniform(-1, 1), 3):.3f}" for _ in range(10)] for _ in range(10)]
    labels = [rng.choice([-1, 1]) for _ in range(10)]
    rows = "\n".join("    [" + ", ".join(f'"{x}"' for x in r) + "]," for r in pts)
    return f'''format = 1
name = "random10_s{seed}"
description = """Ten points in d = 10 with coordinates drawn from U(-1, 1) (Python's random.Random({seed}), rounded to 3 decimals and stored exactly) and random labels: a fresh random dataset of the float64 peer comparison (`ibcert bench --peers`, issue 16), written by benches/peers/make_random.py. Depth 2."""
depth = 2

[data]
points = [
{rows}
]
labels = {labels}

[numerics]
precision = 256
tolerance = "1e-40"
alpha = "1"
'''


if __name__ == "__main__":
    for s in sys.argv[1:]:
        print(case(int(s)), end="")
