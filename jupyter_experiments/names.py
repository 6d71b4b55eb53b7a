"""Generated names for experiments, trials and trial components."""

import random
import string
from datetime import datetime, timezone

from .validation import check_name


def generate_name(prefix: str) -> str:
    """Return ``<prefix>-<UTC timestamp>-<4 random letters>``, e.g. ``Trial-20261204T201500-abcd``.

    The timestamp makes names sort by creation; the letters keep two names made in the same
    second apart.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    letters = "".join(random.choices(string.ascii_lowercase, k=4))
    # Leave room for the suffix so that the result always passes the name rule.
    return check_name(f"{prefix[:96]}-{stamp}-{letters}", "generated name")
