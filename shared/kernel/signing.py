"""Ed25519 signatures over chain links and checkpoints, and the append-only anchor files.

The hash chain (shared/kernel/chain.py) proves that a log hangs together, not who wrote it: anyone
with the database credentials can recompute it to fit an edited log. A signature made with a
key kept outside the database can not be recomputed that way, so ``verify`` can name the first
link nobody with the key signed (ADR 0006). Two things are signed:

- every chain link as it is written (``sign_link``): a forged append, a log rewritten together
  with its chain, and a rewrite after the last checkpoint each fail at the first altered event;
- every checkpoint (``anchor_statement``): the heads a tier holds at that moment, exported
  where the database credentials do not reach (``AnchorSink``, and ``GET /audit/anchors`` for
  the province to poll and keep). Only anchors catch a truncated tail, and they keep holding
  if the key is later stolen: what the province already keeps cannot be re-signed.

Signatures are written ``ed25519:<key id>:<base64>``; the key id (the first 16 hex digits of
the SHA-256 of the raw public key) says which key to check with once keys rotate.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LINK_DOMAIN = b"sanji-chain-link\n"  # domain separation: a link signature is never an anchor's
ANCHOR_DOMAIN = b"sanji-anchor\n"
PREFIX = "ed25519"


class SigningKeyMissing(SystemExit):
    """Start refuses without the key (a SystemExit: one line on stderr, exit status 1)."""


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


class Verifier:
    """Checks signatures against known public keys (the current one, and older ones by id)."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self.keys = {key_id(k): k for k in keys}

    @classmethod
    def from_pem(cls, *pems: str | bytes) -> Verifier:
        keys = []
        for pem in pems:
            key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 public key")
            keys.append(key)
        return cls(keys)

    def check(self, signature: str | None, message: bytes) -> bool:
        if not signature:
            return False
        prefix, _, rest = signature.partition(":")
        kid, _, b64 = rest.partition(":")
        key = self.keys.get(kid)
        if prefix != PREFIX or key is None:
            return False
        try:
            key.verify(base64.b64decode(b64, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def check_link(self, link: str, signature: str | None) -> bool:
        return self.check(signature, LINK_DOMAIN + link.encode())

    def check_anchor(self, statement: dict[str, Any], signature: str | None) -> bool:
        return self.check(signature, ANCHOR_DOMAIN + canonical(statement))


class Signer(Verifier):
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)
        super().__init__([self.public])

    def sign(self, message: bytes) -> str:
        raw = self.private.sign(message)
        return f"{PREFIX}:{self.key_id}:{base64.b64encode(raw).decode()}"

    def sign_link(self, link: str) -> str:
        return self.sign(LINK_DOMAIN + link.encode())

    def sign_anchor(self, statement: dict[str, Any]) -> str:
        return self.sign(ANCHOR_DOMAIN + canonical(statement))

    @property
    def public_pem(self) -> str:
        return public_pem(self.public)


def canonical(statement: dict[str, Any]) -> bytes:
    """The bytes an anchor's signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_cache: dict[tuple[str, float], Signer] = {}


def load_signer(path: Path, create: bool) -> Signer:
    """The install's signing key from ``path`` (PKCS#8 PEM); made once, readable by its owner
    only, when ``create`` and missing. Two processes creating it at the same moment: O_EXCL
    lets one win and the other reads the winner's key."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise SigningKeyMissing(
                f"[sanji] 签名密钥不存在 / signing key {path} not found: run `python -m services init` "
                "once per install, or set SANJI_SIGNING_KEY_FILE to the install's key"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
    cache_key = (str(path.resolve()), path.stat().st_mtime)
    if cache_key not in _cache:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyMissing(f"[sanji] {path} is not an Ed25519 private key")
        _cache[cache_key] = Signer(key)
    return _cache[cache_key]


# ------------------------------------------------------------------ anchors


class AnchorSink:
    """One JSON line per anchor in ``<dir>/<tier>.jsonl``, opened O_APPEND for every write.

    The file lives outside the database, so the platform's database credentials cannot
    rewrite it; O_APPEND makes each line land at the end even with two writers. In production
    the directory should be on storage the database host cannot change (a separate volume,
    WORM storage, or a directory shipped off the machine); the province's copy
    (``GET /api/v1/audit/anchors``) is the stronger witness.
    """

    def __init__(self, directory: Path, tier: str) -> None:
        self.path = Path(directory) / f"{tier}.jsonl"

    def append(self, anchor: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(anchor, ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())  # one write: a line is never interleaved with another
            os.fsync(fd)
        finally:
            os.close(fd)


def read_anchors(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Anchors from JSON-lines files (sinks or a province's copy); unreadable lines are kept
    as ``{"unreadable": …}`` so ``verify`` can report them rather than skip them silently."""
    for path in paths:
        if not Path(path).exists():
            continue
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                anchor = json.loads(line)
            except json.JSONDecodeError:
                yield {"unreadable": f"{path}:{number}"}
                continue
            yield anchor
