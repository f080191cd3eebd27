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
  groth16-verify VK PROOF PUBLIC
                 snarkjs verification_key.json, proof.json, public.json: prints "valid" or "invalid"
                 (the Groth16 equation e(-A,B) e(alpha,beta) e(L,gamma) e(C,delta) = 1, four
                 py_ecc pairings)
"""
import json
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
    elif cmd == "groth16-verify":
        print("valid" if groth16_verify(*argv[2:5]) else "invalid")
    else:
        sys.exit(f"unknown command {cmd}")


def g1_point(v):
    assert v[2] == "1", "affine points only"
    pt = (bn128.FQ(int(v[0])), bn128.FQ(int(v[1])))
    assert bn128.is_on_curve(pt, bn128.b)
    return pt


def g2_point(v):
    assert v[2] == ["1", "0"], "affine points only"
    pt = (FQ2([int(v[0][0]), int(v[0][1])]), FQ2([int(v[1][0]), int(v[1][1])]))
    assert bn128.is_on_curve(pt, b2)
    assert multiply(pt, curve_order) is None, "not in G2"
    return pt


def groth16_verify(vk_path, proof_path, public_path):
    vk = json.load(open(vk_path))
    proof = json.load(open(proof_path))
    inputs = [int(x) for x in json.load(open(public_path))]
    assert len(inputs) == vk["nPublic"] and all(x < curve_order for x in inputs)
    ic = [g1_point(p) for p in vk["IC"]]
    acc = ic[0]
    for x, point in zip(inputs, ic[1:]):
        acc = bn128.add(acc, multiply(point, x))
    a, b, c = g1_point(proof["pi_a"]), g2_point(proof["pi_b"]), g1_point(proof["pi_c"])
    f = (bn128.pairing(b, bn128.neg(a)) * bn128.pairing(g2_point(vk["vk_beta_2"]), g1_point(vk["vk_alpha_1"]))
         * bn128.pairing(g2_point(vk["vk_gamma_2"]), acc) * bn128.pairing(g2_point(vk["vk_delta_2"]), c))
    return f == bn128.FQ12.one()


if __name__ == "__main__":
    main(sys.argv)
