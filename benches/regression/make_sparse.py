#!/usr/bin/env python3
"""Writes the data of cases/regression_sparse.toml: the sparse regression problem of
Woodworth et al. 2020, Section 4, small enough for exact references.

N = 10 points in d = 40 with coordinates drawn from N(0, 1) (Python's
random.Random(SEED).gauss), rounded to 2 decimals and stored exactly as decimal strings;
a planted w* with 3 nonzeros (exact decimals); targets y = X^T w* computed exactly
(fractions), without noise, so the data interpolate.

    python3 benches/regression/make_sparse.py > /tmp/data.toml

prints the [data] table (the case file's other fields are written by hand).
"""
import random
from fractions import Fraction

SEED = 3
N, D = 10, 40
# planted sparse predictor: 3 nonzeros
W_STAR = {2: Fraction(1), 16: Fraction(-3, 4), 28: Fraction(1, 2)}


def main():
    rng = random.Random(SEED)
    rows = [["%.2f" % rng.gauss(0.0, 1.0) for _ in range(D)] for _ in range(N)]
    # "-0.00" is read as 0 by ibcert, but write it plainly
    rows = [["0.00" if c == "-0.00" else c for c in r] for r in rows]
    targets = []
    for r in rows:
        y = sum(Fraction(r[i]) * w for i, w in W_STAR.items())
        targets.append(format_decimal(y))
    print("[data]")
    print("points = [")
    for r in rows:
        print("    [" + ", ".join('"%s"' % c for c in r) + "],")
    print("]")
    print("targets = [" + ", ".join('"%s"' % t for t in targets) + "]")
    print("# w* = " + ", ".join("w_%d = %s" % (i + 1, w) for i, w in W_STAR.items()))


def format_decimal(q):
    """An exact decimal string of q (whose denominator divides a power of 10)."""
    sign = "-" if q < 0 else ""
    q = abs(q)
    k = 0
    while (q * 10**k).denominator != 1:
        k += 1
    n = (q * 10**k).numerator
    s = str(n).rjust(k + 1, "0")
    return sign + (s[:-k] + "." + s[-k:] if k else s)


if __name__ == "__main__":
    main()
