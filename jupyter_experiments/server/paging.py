"""Opaque page cursors that only work with the query they were issued for.

A cursor is ``<payload>.<signature>``: the payload is base64url JSON with the offset of the next
page and a hash of the normalized query, the signature an HMAC-SHA256 of the payload under a
key that each server process draws at random. A client can neither forge an offset nor carry a
cursor over to another query (another selection, search expression or sort), and cursors stop
working when the server restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from ..errors import ValidationError

#: Bytes of the HMAC kept in a cursor; 128 bits cannot be guessed.
SIGNATURE_BYTES = 16

#: Maximum length of a cursor in characters; the cursors this module issues are under 100.
MAX_CURSOR_LENGTH = 512


def query_fingerprint(kind: str, query: Mapping[str, Any]) -> str:
    """Return a hash of a normalized query; equal queries give equal fingerprints."""
    text = json.dumps([kind, query], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class CursorCodec:
    """Issue and check the page cursors of one server process."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("The cursor key must have at least 16 bytes.")
        self._key = key

    def encode(self, offset: int, fingerprint: str) -> str:
        """Return the cursor of the page that starts at ``offset`` of the query."""
        payload = _b64encode(
            json.dumps({"o": offset, "q": fingerprint}, separators=(",", ":")).encode()
        )
        return f"{payload}.{_b64encode(self._sign(payload))}"

    def decode(self, cursor: str, fingerprint: str) -> int:
        """Return the offset in ``cursor``; raise ValidationError unless it fits the query."""
        payload, dot, signature = cursor.partition(".")
        if len(cursor) > MAX_CURSOR_LENGTH or not dot:
            raise ValidationError(
                "Invalid cursor: it is not a cursor of this API. Pass the next_cursor value of "
                "the previous page unchanged, or leave cursor out for the first page."
            )
        try:
            valid = hmac.compare_digest(_b64decode(signature), self._sign(payload))
            fields = json.loads(_b64decode(payload)) if valid else None
        except (binascii.Error, ValueError):
            valid, fields = False, None
        if not valid or not isinstance(fields, dict):
            raise ValidationError(
                "Invalid cursor: this server did not issue it, or it restarted since. Request "
                "the first page again without cursor."
            )
        if fields.get("q") != fingerprint:
            raise ValidationError(
                "Invalid cursor: it was issued for another query (selection, search expression "
                "or sort). Request the first page of this query without cursor."
            )
        offset = fields.get("o")
        if not isinstance(offset, int) or offset < 0:
            raise ValidationError("Invalid cursor: request the first page again without cursor.")
        return offset

    def _sign(self, payload: str) -> bytes:
        digest = hmac.new(self._key, payload.encode("ascii", "replace"), hashlib.sha256).digest()
        return digest[:SIGNATURE_BYTES]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("cursor is not ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
