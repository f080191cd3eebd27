#!/usr/bin/env python3
"""Independent BN254 reference for the Groth16 tests (specs/groth16.md), using py_ecc (PyPI).

py_ecc.bn128 is a plain Python implementation of alt_bn128 (Ethereum's BN254): affine points,
FQ12 as polynomials modulo w^12 - 18 w^6 + 82, the same optimal-ate loop and the final
exponentiation (p^12 - 1)/r done as one big power. It is slow (seconds per pairing), so the test
suite asks for only a few values.

Usage (all numbers decimal, one value per line on stdout):
  g1mul K        K·G1 as "x y" ("inf" for the identity)
  g2mul K        K·G2 as "x.c0 x.c1 y.c0 y.c1"
  pairing A B    e(A·G1, B·G2): the 12 coefficients of w^0 … w^11 in py_ecc's FQ12 basis
  twist-point K  a point on the twist y^2 = x^3 + 3/(9+u) that is NOT in G2 (x = K + u, the first
                 K upwards with a square right-hand side), as "x.c0 x.c1 y.c0 y.c1"
"""
import sys

from py_ecc import bn128
from py_ecc.bn128 import FQ2, G1, G2, b2, curve_order, field_modulus, multiply

P = field_modulus


def fq2_sqrt(a):
    """Square root in F_p^2 for p = 3 mod 4 (Adj & Rodriguez-Henriquez, Algorithm 9); None if none."""
    a1 = a ** ((P - 3) // 4)
    alpha = a1 * (a1 * a)
    a0 = (alpha ** P) * alpha
    if a0 == FQ2([-1, 0]):
        return None
    x0 = a1 * a
    if alpha == FQ2([-1, 0]):
        x = FQ2([0, 1]) * x0
    else:
        x = ((FQ2.one() + alpha) ** ((P - 1) // 2)) * x0
    return x if x * x == a else None


def main(argv):
    cmd = argv[1]
    if cmd == "g1mul":
        pt = multiply(G1, int(argv[2]))
        print("inf" if pt is None else f"{pt[0].n} {pt[1].n}")
    elif cmd == "g2mul":
        pt = multiply(G2, int(argv[2]))
        print(" ".join(str(c) for c in (*pt[0].coeffs, *pt[1].coeffs)))
    elif cmd == "pairing":
        e = bn128.pairing(multiply(G2, int(argv[3])), multiply(G1, int(argv[2])))
        print(" ".join(str(int(c)) for c in e.coeffs))
    elif cmd == "twist-point":
        k = int(argv[2])
        while True:
            x = FQ2([k, 1])
            y = fq2_sqrt(x ** 3 + b2)
            if y is not None:
                assert y * y == x ** 3 + b2
                assert multiply((x, y), curve_order) is not None, "unexpectedly in G2"
                print(" ".join(str(int(c)) for c in (*x.coeffs, *y.coeffs)))
                return
            k += 1
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
