"""The seal on a batched Piston request's tests: every test file (inputs, expected outputs) is
sent XORed with a keystream of SHAKE-256 over a per-request secret and the file's name, and
the secret travels only as the run stage's stdin. Piston writes the files into the box before
anything runs and gives stdin to the compile stage too (our package's compile script reads
its stdin from /dev/null, so a program's `#include "/dev/stdin"` or `include_str!` sees
nothing), so the program, compiled or run, finds ciphertext only; the launcher alone reads
the secret, and tags its result lines with a word derived from it that the program cannot
forge. Standard library only: the client and the launcher share this file.
"""

from __future__ import annotations  # annotations stay text: any Python 3 reads them

import hashlib

SECRET_BYTES = 32


def xor(secret: bytes, name: str, data: bytes) -> bytes:
    """`data` sealed (or unsealed: the same operation) as file `name` of a request."""
    if not data:
        return b""
    pad = hashlib.shake_256(secret + b"\0" + name.encode()).digest(len(data))
    return (int.from_bytes(data, "little") ^ int.from_bytes(pad, "little")).to_bytes(len(data), "little")


def tag(secret: bytes) -> str:
    """The word the launcher starts each of its result lines with."""
    return hashlib.sha256(b"batch-eval launcher lines\0" + secret).hexdigest()[:32]
