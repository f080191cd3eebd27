"""Canonical tensors (specs/kernel.md §7.1): the MVT1 byte format, read and written with numpy."""
import hashlib
import struct

import numpy as np

MAGIC = b"MVT1"
KINDS = {"raw": 0, "token-ids": 1, "hidden": 2, "logits": 3, "embedding": 4}
DTYPES = {1: np.int8, 2: np.int16, 3: np.int32, 4: np.int64}


def encode(values, kind="raw", fraction_bits=0):
    a = np.ascontiguousarray(values)
    code = {np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.int32): 3, np.dtype(np.int64): 4}[a.dtype]
    head = MAGIC + struct.pack("<BBBBB", 1, KINDS[kind], code, fraction_bits, a.ndim)
    head += b"".join(struct.pack("<I", d) for d in a.shape)
    return head + a.astype(a.dtype.newbyteorder("<")).tobytes()


def decode(data):
    """Returns (kind, fraction_bits, array); raises ValueError on any deviation from §7.1."""
    if data[:4] != MAGIC or len(data) < 9 or data[4] != 1:
        raise ValueError("not an MVT1 tensor")
    kind, code, frac, rank = data[5], data[6], data[7], data[8]
    if code not in DTYPES or not 1 <= rank <= 8:
        raise ValueError("bad dtype or rank")
    dims = struct.unpack("<%dI" % rank, data[9:9 + 4 * rank])
    dt = np.dtype(DTYPES[code]).newbyteorder("<")
    payload = data[9 + 4 * rank:]
    if len(payload) != int(np.prod(dims)) * dt.itemsize:
        raise ValueError("payload length does not match the shape")
    names = {v: k for k, v in KINDS.items()}
    return names.get(kind, str(kind)), frac, np.frombuffer(payload, dtype=dt).reshape(dims)


def commitment(data):
    return hashlib.sha256(data).hexdigest()
