"""Helpers shared by the SDK's record classes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..validation import to_epoch_seconds


def to_datetime(seconds: float | None) -> datetime | None:
    """Return UTC epoch seconds as an aware datetime; None stays None."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def to_seconds(value: Any, what: str) -> float | None:
    """Return a datetime or epoch seconds as epoch seconds; None stays None."""
    if value is None:
        return None
    return to_epoch_seconds(value, what)
