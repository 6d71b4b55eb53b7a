"""Checks applied to every value before it reaches the store.

The SDK and the REST API both call these, so a bad value gets the same message wherever it
comes from. Each check raises :class:`~jupyter_experiments.errors.ValidationError` naming the
value, the rule and the fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .errors import ValidationError
from .limits import (
    MAX_DESCRIPTION_LENGTH,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PARAMETER_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    MAX_TIMESTAMP_S,
    MIN_TIMESTAMP_S,
)

NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}")

# Control characters (Unicode category Cc) cannot be shown and surrogates (Cs) cannot be stored
# as UTF-8, so keys reject both. Everything else is allowed, spaces and non-Latin scripts included.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")

ParameterValue = float | int | str | bool


def _scalar_item(value: object) -> object | None:
    """Return ``value.item()`` for a numpy or torch scalar, or None when that fails.

    An array of several values has ``item()`` too, but raises ValueError from it.
    """
    item = getattr(value, "item", None)
    if item is None or isinstance(value, (str, bytes)):
        return None
    try:
        return item()
    except (TypeError, ValueError):
        return None


def _shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_name(value: object, what: str = "name") -> str:
    """Return ``value`` if it is a valid experiment, trial or trial component name."""
    if not isinstance(value, str):
        raise ValidationError(
            f"Invalid {what} {_shorten(value)}: expected a string, got {type(value).__name__}."
        )
    if NAME_PATTERN.fullmatch(value) is None:
        if not value:
            problem = "it is empty"
        elif len(value) > MAX_NAME_LENGTH:
            problem = f"it has {len(value)} characters, more than {MAX_NAME_LENGTH}"
        elif not value[0].isascii() or not value[0].isalnum():
            problem = "it must start with an ASCII letter or digit"
        else:
            problem = "it may contain only ASCII letters and digits, '-', '_' and '.'"
        raise ValidationError(
            f"Invalid {what} {_shorten(value)}: {problem}. Use 1-{MAX_NAME_LENGTH} characters "
            "from A-Z, a-z, 0-9, '-', '_' and '.', starting with a letter or a digit."
        )
    return value


def check_key(value: object, what: str) -> str:
    """Return ``value`` if it is a valid metric, parameter, artifact or tag name."""
    if not isinstance(value, str):
        raise ValidationError(
            f"Invalid {what} {_shorten(value)}: expected a string, got {type(value).__name__}."
        )
    if not value or len(value) > MAX_KEY_LENGTH:
        raise ValidationError(
            f"Invalid {what} {_shorten(value)}: names must have 1-{MAX_KEY_LENGTH} characters, "
            f"this one has {len(value)}."
        )
    if _CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            f"Invalid {what} {_shorten(value)}: names may not contain control characters "
            "such as newlines or tabs."
        )
    return value


def check_text(value: object, what: str, limit: int = MAX_DESCRIPTION_LENGTH) -> str | None:
    """Return ``value`` if it is None or a string of at most ``limit`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(
            f"Invalid {what} {_shorten(value)}: expected a string, got {type(value).__name__}."
        )
    if len(value) > limit:
        raise ValidationError(
            f"Invalid {what}: it has {len(value)} characters, more than the limit of {limit}."
        )
    return value


def check_display_name(value: object) -> str | None:
    """Return ``value`` if it is None or a display name without control characters."""
    if value is None:
        return None
    return check_key(value, "display name")


def check_parameter_value(name: str, value: object) -> ParameterValue:
    """Return ``value`` if it can be stored as a parameter, keeping its type.

    numpy scalars are turned into the matching Python type so that ``np.float32(0.1)`` is stored
    as a number, not rejected.
    """
    item = _scalar_item(value)
    if item is not None:
        value = item
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_PARAMETER_VALUE_LENGTH:
            raise ValidationError(
                f"Invalid value for parameter {name!r}: it has {len(value)} characters, more "
                f"than the limit of {MAX_PARAMETER_VALUE_LENGTH}. Log it as an artifact instead."
            )
        return value
    raise ValidationError(
        f"Invalid value {_shorten(value)} for parameter {name!r}: parameters are numbers, "
        f"strings or booleans, not {type(value).__name__}. Convert it with str() or log it "
        "as an artifact."
    )


def check_metric_value(name: str, value: object) -> float:
    """Return ``value`` as a float; NaN and infinities are valid metric values."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        item = _scalar_item(value)
        if item is not None:
            return check_metric_value(name, item)
        raise ValidationError(
            f"Invalid value {_shorten(value)} for metric {name!r}: metric values are numbers, "
            f"not {type(value).__name__}."
        )
    return float(value)


def check_status(value: object) -> str:
    """Return ``value`` if it is one of the trial component statuses."""
    if value not in STATUSES:
        raise ValidationError(
            f"Invalid status {_shorten(value)}: use one of {', '.join(STATUSES)}."
        )
    return str(value)


def check_tags(value: object) -> dict[str, str]:
    """Return tags as a name-to-string mapping.

    A list of ``{"Key": ..., "Value": ...}`` mappings (the SageMaker form) is accepted too.
    """
    if value is None:
        return {}
    if isinstance(value, list):
        pairs: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, Mapping) or "Key" not in item:
                raise ValidationError(
                    f"Invalid tag {_shorten(item)}: tags are a mapping of names to values, or a "
                    "list of {'Key': ..., 'Value': ...} mappings."
                )
            pairs[item["Key"]] = item.get("Value", "")
        value = pairs
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"Invalid tags {_shorten(value)}: expected a mapping of tag names to values."
        )
    if len(value) > MAX_TAGS:
        raise ValidationError(f"Too many tags: {len(value)}, the limit is {MAX_TAGS}.")
    tags: dict[str, str] = {}
    for key, tag_value in value.items():
        check_key(key, "tag name")
        text = "" if tag_value is None else str(tag_value)
        check_text(text, f"value of tag {key!r}", MAX_TAG_VALUE_LENGTH)
        tags[key] = text
    return tags


def to_epoch_seconds(value: object, what: str) -> float:
    """Return a timestamp as UTC seconds since the epoch.

    Accepts a number of seconds, an aware ``datetime``, or a naive ``datetime`` taken as UTC.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        seconds = float(value)
        if not MIN_TIMESTAMP_S <= seconds <= MAX_TIMESTAMP_S:
            raise ValidationError(
                f"Invalid {what} {_shorten(value)}: seconds since the epoch must lie between "
                f"{MIN_TIMESTAMP_S:.0f} (year 1) and {MAX_TIMESTAMP_S:.0f} (year 9999)."
            )
        return seconds
    raise ValidationError(
        f"Invalid {what} {_shorten(value)}: expected a datetime or seconds since the epoch."
    )
