"""The Ed25519 key that signs audit checkpoints (``cryptography``).

``AUDIT_SIGNING_KEY`` may be given in three forms (``docs/audit.md``):

- a PEM private key (``-----BEGIN PRIVATE KEY-----`` …, PKCS#8 Ed25519);
- the 32-byte raw seed, base64-encoded (``openssl rand -base64 32``);
- any other string: the seed is SHA-256 of it. The embedded default is ``audit:<SECRET_KEY>``
  (settings.py), so a dev install, whose SECRET_KEY lives in ``var/secret_key``, signs with a
  stable key without configuration. Production sets its own key.

The public key is published (menu, exports, each checkpoint) as base64 of its 32 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings


@lru_cache(maxsize=4)
def _load(value: str) -> Ed25519PrivateKey:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("AUDIT_SIGNING_KEY: the PEM key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raw = hashlib.sha256(text.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key() -> Ed25519PrivateKey:
    return _load(settings.AUDIT_SIGNING_KEY)


def public_key_b64(key: Ed25519PrivateKey | None = None) -> str:
    raw = (key or private_key()).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def fingerprint(public_b64: str) -> str:
    """A short, readable fingerprint of a public key (SHA-256, first 16 hex digits, grouped)."""
    digest = hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]
    return ":".join(digest[i:i + 4] for i in range(0, 16, 4))


def sign(payload: bytes) -> str:
    return base64.b64encode(private_key().sign(payload)).decode()


def signature_valid(payload: bytes, signature_b64: str, public_b64: str) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        public.verify(base64.b64decode(signature_b64), payload)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
