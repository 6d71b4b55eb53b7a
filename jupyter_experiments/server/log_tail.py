"""Read the last lines of a job log, only from files under the artifact root.

A remote client can record any artifact value, ``file:///etc/passwd`` included, so the path of
a log is resolved (symbolic links and ``..`` followed) and must lie inside the artifact root
before a byte of it is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..errors import ValidationError

#: Most lines one request may ask for.
MAX_TAIL_LINES = 10_000

#: Most bytes read from the end of a log for one request, whatever the line count.
MAX_TAIL_BYTES = 1024 * 1024

_BLOCK_BYTES = 64 * 1024


def artifact_path(value: str, root: Path) -> Path:
    """Return the local file of an artifact value (a file:// URI or a path) inside ``root``."""
    parts = urlsplit(value)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValidationError(
                f"Invalid log location {value!r}: the file is on host {parts.netloc!r}; only "
                "local files are served."
            )
        path = Path(url2pathname(unquote(parts.path)))
    elif parts.scheme and len(parts.scheme) > 1:
        raise ValidationError(
            f"Invalid log location {value!r}: only file:// URIs and local paths are served."
        )
    else:
        path = Path(value)
    resolved_root = root.resolve()
    resolved = path.resolve()
    if not path.is_absolute() or not resolved.is_relative_to(resolved_root):
        raise ValidationError(
            f"Invalid log location {value!r}: the server reads job logs only inside the "
            f"artifact root {str(resolved_root)!r}."
        )
    return resolved


def tail(path: Path, lines: int) -> tuple[list[str], bool, int]:
    """Return the last ``lines`` lines of a text file, whether earlier text exists, and its size.

    At most :data:`MAX_TAIL_BYTES` are read from the end, so a line longer than that is cut.
    Bytes that are not UTF-8 become U+FFFD.
    """
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        position = size
        data = b""
        # One more newline than lines asked for marks where the first returned line starts.
        while position > 0 and data.count(b"\n") <= lines and size - position < MAX_TAIL_BYTES:
            step = min(_BLOCK_BYTES, position, MAX_TAIL_BYTES - (size - position))
            position -= step
            file.seek(position)
            data = file.read(step) + data
    text = data.decode("utf-8", errors="replace")
    found = text.split("\n")
    if found[-1] == "":
        found.pop()
    if position > 0 and len(found) > 1:
        # The first piece started before the bytes that were read.
        found = found[1:]
    found = [line.removesuffix("\r") for line in found]
    truncated = position > 0 or len(found) > lines
    return found[-lines:], truncated, size
