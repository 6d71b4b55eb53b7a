"""Artifacts in an object store: log_artifact uploads to a local S3-compatible server (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_experiments import Tracker
from jupyter_experiments.errors import ValidationError
from jupyter_experiments.sdk.artifacts import (
    ARTIFACT_ROOT_ENV,
    ARTIFACT_STORAGE_OPTIONS_ENV,
    artifact_root,
)
from jupyter_experiments.store import TrackingStore

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

BUCKET = "experiments-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Start moto's S3 server on 127.0.0.1 at a free port; yield its URL."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> s3fs.S3FileSystem:
    """Point the artifact root at a bucket of the local server; no request leaves 127.0.0.1."""
    # Fake credentials and no instance metadata, so botocore never looks beyond the endpoint.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    options = {"endpoint_url": s3_endpoint, "key": "testing", "secret": "testing"}
    monkeypatch.setenv(ARTIFACT_STORAGE_OPTIONS_ENV, json.dumps(options))
    monkeypatch.setenv(ARTIFACT_ROOT_ENV, f"s3://{BUCKET}/team/artifacts")
    file_system = s3fs.S3FileSystem(**options)
    if not file_system.exists(BUCKET):
        file_system.mkdir(BUCKET)
    s3fs.S3FileSystem.clear_instance_cache()
    return file_system


def test_upload_records_uri(s3: s3fs.S3FileSystem, store: TrackingStore, tmp_path: Path) -> None:
    # Given: a local file
    source = tmp_path / "model.bin"
    source.write_bytes(b"\x00weights\xff")

    # When: it is logged as an artifact
    with Tracker.create() as tracker:
        uri = tracker.log_artifact(source, name="model")
    name = tracker.trial_component.trial_component_name

    # Then: the object has the file's bytes, and its URL is recorded
    recorded = store.get_component(name)["output_artifacts"]["model"]
    assert uri.startswith(f"s3://{BUCKET}/team/artifacts/{name}/model-")
    assert uri.endswith("/model.bin")
    assert recorded["value"] == uri
    assert s3.cat_file(uri) == b"\x00weights\xff"


def test_nothing_copied_locally(
    s3: s3fs.S3FileSystem, store: TrackingStore, tmp_path: Path
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("text")

    with Tracker.create() as tracker:
        tracker.log_artifact(source)

    assert not artifact_root(store).exists()


def test_name_cannot_escape(s3: s3fs.S3FileSystem, store: TrackingStore, tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("a,b")

    with Tracker.create() as tracker:
        uri = tracker.log_artifact(source, name="../../outside")

    assert uri.startswith(f"s3://{BUCKET}/team/artifacts/")
    assert "/../" not in uri


def test_two_names_two_objects(s3: s3fs.S3FileSystem, store: TrackingStore, tmp_path: Path) -> None:
    first = tmp_path / "a" / "model.bin"
    second = tmp_path / "b" / "model.bin"
    for path, content in ((first, b"first"), (second, b"second")):
        path.parent.mkdir()
        path.write_bytes(content)

    with Tracker.create() as tracker:
        one = tracker.log_artifact(first, name="first")
        two = tracker.log_artifact(second, name="second")

    assert one != two
    assert s3.cat_file(one) == b"first"
    assert s3.cat_file(two) == b"second"


def test_bad_storage_options(
    s3: s3fs.S3FileSystem, store: TrackingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ARTIFACT_STORAGE_OPTIONS_ENV, "[1, 2]")
    source = tmp_path / "x.txt"
    source.write_text("x")

    with Tracker.create() as tracker, pytest.raises(ValidationError, match="JSON object"):
        tracker.log_artifact(source)
