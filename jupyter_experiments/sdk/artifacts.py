"""The artifact root of ``Tracker.log_artifact``: a local directory or an object store.

``JUPYTER_EXPERIMENTS_ARTIFACT_ROOT`` is a folder or an fsspec URL such as
``s3://bucket/prefix``. With a URL, files are uploaded through fsspec (the protocol's package,
such as ``s3fs``, must be installed) with the storage options given as a JSON object in
``JUPYTER_EXPERIMENTS_ARTIFACT_STORAGE_OPTIONS``, and the recorded URI is the object's URL.
Training jobs keep their working files (model folder, log) in a local folder either way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..store import default_db_path

log = logging.getLogger("jupyter_experiments.artifacts")

ARTIFACT_ROOT_ENV = "JUPYTER_EXPERIMENTS_ARTIFACT_ROOT"

#: JSON object of fsspec storage options for an artifact root URL, e.g. an S3 endpoint.
ARTIFACT_STORAGE_OPTIONS_ENV = "JUPYTER_EXPERIMENTS_ARTIFACT_STORAGE_OPTIONS"

#: fsspec protocols that name the local file system, so a root URL with them is a folder.
LOCAL_PROTOCOLS = ("file", "local")


@dataclass(frozen=True)
class ObjectLocation:
    """An artifact uploaded to an object store, named by its URL."""

    url: str

    def as_uri(self) -> str:
        """Return the object's URL, as ``Path.as_uri`` does for a local copy."""
        return self.url


def object_store_root() -> str | None:
    """Return the artifact root if it is a URL of a non-local file system, else None."""
    configured = os.environ.get(ARTIFACT_ROOT_ENV, "").strip()
    protocol, separator, _ = configured.partition("://")
    if not separator or protocol.lower() in LOCAL_PROTOCOLS:
        return None
    return configured.rstrip("/")


def artifact_root(store: Any) -> Path:
    """Return the local folder of artifacts and job files of ``store``.

    It is ``JUPYTER_EXPERIMENTS_ARTIFACT_ROOT`` if that is a folder. Otherwise a SQLite store
    gets an ``artifacts`` folder beside its database file. Any other store, and an
    object-store root, gets one beside the default store in the Jupyter data directory.
    """
    configured = os.environ.get(ARTIFACT_ROOT_ENV, "").strip()
    if configured and object_store_root() is None:
        if configured.lower().startswith(("file://", "local://")):
            configured = configured.split("://", 1)[1]
        return Path(configured).expanduser().resolve()
    engine = getattr(store, "engine", None)
    url = engine.url if engine is not None else None
    if url is not None and url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:":
            return Path(database).resolve().parent / "artifacts"
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
) -> tuple[Path | ObjectLocation, str | None]:
    """Copy a file to ``<root>/<component>/<artifact folder>/<file name>``.

    Each artifact name gets its own folder, so two artifacts whose files share a name do not
    overwrite each other. The destination is checked to lie inside the root, so no name can
    write elsewhere. When the artifact root setting is an object-store URL, the file is
    uploaded below that URL instead of ``root``. Returns the copy's path or object location,
    and the file's guessed media type.
    """
    source = Path(file_path)
    if not source.is_file():
        raise ValidationError(
            f"Invalid artifact file {os.fspath(file_path)!r}: it does not exist or is not a "
            "file. Pass the path of an existing file, or use log_artifacts() for a folder."
        )
    media_type, _ = mimetypes.guess_type(source.name)
    remote_root = object_store_root()
    if remote_root is not None:
        return upload_artifact(remote_root, component_name, source, name), media_type

    folder = (root / component_name / artifact_folder_name(name)).resolve()
    destination = (folder / source.name).resolve()
    if folder != destination.parent or not destination.is_relative_to(root.resolve()):
        raise ValidationError(
            f"Invalid artifact name {name!r}: the copy would leave the artifact directory {root}."
        )
    folder.mkdir(parents=True, exist_ok=True)
    if source.resolve() != destination:
        shutil.copy2(source, destination)
    return destination, media_type


def upload_artifact(root_url: str, component_name: str, source: Path, name: str) -> ObjectLocation:
    """Upload a file to ``<root_url>/<component>/<artifact folder>/<file name>`` with fsspec."""
    import fsspec

    file_system, root_path = fsspec.core.url_to_fs(root_url, **storage_options())
    root_path = root_path.rstrip("/")
    parts = (component_name, artifact_folder_name(name), source.name)
    # The artifact folder name contains only safe characters. The component name and the file
    # name are checked too, because '..' or a separator there would lead outside the root.
    if any(part in ("", ".", "..") or "/" in part or "\\" in part for part in parts):
        raise ValidationError(
            f"Invalid artifact name {name!r} or file {source.name!r}: the upload would leave "
            f"the artifact root {root_url}."
        )
    destination = "/".join((root_path, *parts))
    file_system.put_file(str(source), destination)
    url = file_system.unstrip_protocol(destination)
    log.info("Uploaded artifact %s of trial component %s to %s", name, component_name, url)
    return ObjectLocation(url)


def storage_options() -> dict[str, Any]:
    """Return the fsspec storage options of ``JUPYTER_EXPERIMENTS_ARTIFACT_STORAGE_OPTIONS``."""
    text = os.environ.get(ARTIFACT_STORAGE_OPTIONS_ENV, "").strip()
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as error:
        raise ValidationError(
            f"Invalid {ARTIFACT_STORAGE_OPTIONS_ENV}: {error}. Set it to a JSON object such as "
            '{"endpoint_url": "https://minio.example.org"}.'
        ) from None
    if not isinstance(options, dict):
        raise ValidationError(
            f"Invalid {ARTIFACT_STORAGE_OPTIONS_ENV} {text[:80]!r}: expected a JSON object of "
            "fsspec storage options."
        )
    return options
