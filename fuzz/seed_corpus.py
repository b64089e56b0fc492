#!/usr/bin/env python3
"""Fills fuzz/corpus/<target>/ with seed inputs from the real test data (not committed).

iso_record: the 320 FVC2002 ISO records and the invalid ones from shared/tests/fixtures, plus
ANSI 378 forms of 40 of them (same conversion as to_ansi in shared/tests/bio_iso.rs).
iris_text: open-iris templates from shared/tests/fixtures/iris, as the target reads them
(first byte = shape selector, then "code\\nmask\\n", "code|mask", or a shape line first).
Run from the repository root: python3 fuzz/seed_corpus.py
"""
import glob
import os
import struct

FIX = "shared/tests/fixtures"
OUT = "fuzz/corpus"


def to_ansi(iso: bytes) -> bytes:
    out = bytearray(b"FMR\0 20\0" + b"\0\0" + bytes([1, 2, 3, 4]) + iso[12:24])
    body = iso[24:]
    out += body[:4]
    n = body[3]
    for k in range(n):
        m = body[4 + 6 * k : 10 + 6 * k]
        out += m[:4] + bytes([(m[4] * 360 // 256) // 2, m[5]])
    out += body[4 + 6 * n :]
    out[8:10] = struct.pack(">H", len(out))
    return bytes(out)


def main():
    iso_dir = os.path.join(OUT, "iso_record")
    os.makedirs(iso_dir, exist_ok=True)
    records = sorted(glob.glob(f"{FIX}/fingerprints/fvc2002-iso/*/*.iso"))
    invalid = sorted(glob.glob(f"{FIX}/fingerprints/invalid-iso/*.iso"))
    # The reference data beside the checkout, when present.
    invalid += sorted(glob.glob("../shared/data/fingerprints/invalid-iso/*.iso"))
    for i, path in enumerate(records + invalid):
        data = open(path, "rb").read()
        open(os.path.join(iso_dir, f"seed_{i:03}.iso"), "wb").write(data)
    for i, path in enumerate(records[::8]):
        data = open(path, "rb").read()
        open(os.path.join(iso_dir, f"seed_ansi_{i:03}.ansi"), "wb").write(to_ansi(data))

    iris_dir = os.path.join(OUT, "iris_text")
    os.makedirs(iris_dir, exist_ok=True)
    selector = {"16,256,2,2": 0, "16,200,2,2": 1, "8,128,1,2": 2}
    n = 0
    for line in open(f"{FIX}/iris/open_iris_1_11_2_vectors.tsv"):
        f = line.rstrip("\n").split("\t")
        if len(f) < 7 or f[0] not in selector or f[2] != "0" or f[1] != "15":
            continue
        code, mask = f[3], f[4]
        s = bytes([selector[f[0]]])
        seeds = [
            s + f"{code}\n{mask}\n".encode(),
            s + f"{code}|{mask}".encode(),
            bytes([3]) + f"({f[0].replace(',', ', ')})\n{code}\n{mask}\n".encode(),
        ]
        for seed in seeds:
            open(os.path.join(iris_dir, f"seed_{n:03}.txt"), "wb").write(seed)
            n += 1
    print(f"iso_record: {len(records) + len(invalid)} ISO + {len(records[::8])} ANSI seeds; "
          f"iris_text: {n} seeds")


if __name__ == "__main__":
    main()
