"""The local artifact directory that ``Tracker.log_artifact`` copies files into."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
from pathlib import Path

from ..errors import ValidationError
from ..store import TrackingStore, default_db_path

ARTIFACT_ROOT_ENV = "JUPYTER_EXPERIMENTS_ARTIFACT_ROOT"


def artifact_root(store: TrackingStore) -> Path:
    """Return where artifacts of ``store`` go.

    ``JUPYTER_EXPERIMENTS_ARTIFACT_ROOT`` if set; for a SQLite store, an ``artifacts`` folder
    beside the database file; otherwise beside the default store in the Jupyter data directory.
    """
    configured = os.environ.get(ARTIFACT_ROOT_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "artifacts"
    return default_db_path().parent / "artifacts"


def artifact_folder_name(name: str) -> str:
    """Return a folder name for an artifact name: readable, safe on any file system, unique.

    Artifact names may hold any printable character, '/' and '..' included, so the readable
    part keeps only safe characters and a hash of the whole name keeps distinct names apart.
    """
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40] or "artifact"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}"


def copy_artifact(
    root: Path, component_name: str, file_path: str | os.PathLike[str], name: str
) -> tuple[Path, str | None]:
    """Copy a file to ``<root>/<component>/<artifact folder>/<file name>``.

    Each artifact name gets its own folder, so two artifacts whose files share a name do not
    overwrite each other. The destination is checked to lie inside ``root``, so no name can
    write elsewhere. Returns the copy's path and its guessed media type.
    """
    source = Path(file_path)
    if not source.is_file():
        raise ValidationError(
            f"Invalid artifact file {os.fspath(file_path)!r}: it does not exist or is not a "
            "file. Pass the path of an existing file, or use log_artifacts() for a folder."
        )
    folder = (root / component_name / artifact_folder_name(name)).resolve()
    destination = (folder / source.name).resolve()
    if folder != destination.parent or not destination.is_relative_to(root.resolve()):
        raise ValidationError(
            f"Invalid artifact name {name!r}: the copy would leave the artifact directory {root}."
        )
    folder.mkdir(parents=True, exist_ok=True)
    if source.resolve() != destination:
        shutil.copy2(source, destination)
    media_type, _ = mimetypes.guess_type(source.name)
    return destination, media_type
