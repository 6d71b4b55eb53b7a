"""Tests of the IDX reader and writer of the MNIST example (examples/mnist/idx.py)."""

from __future__ import annotations

import gzip
import importlib.util
import struct
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

IDX_PATH = Path(__file__).resolve().parents[1] / "examples" / "mnist" / "idx.py"


def _load_idx_module() -> ModuleType:
    # examples/ is not a package, so load the module from its file.
    spec = importlib.util.spec_from_file_location("mnist_idx", IDX_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


idx = _load_idx_module()

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]
SHAPES = [(5,), (3, 4), (2, 3, 4), (1, 1, 1, 2), (0, 28, 28)]


def _sample(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def _write_raw(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path: Path, dtype: str, shape: tuple[int, ...], suffix: str) -> None:
    array = _sample(dtype, shape)
    path = tmp_path / f"array-idx{len(shape)}{suffix}"

    idx.write_idx(path, array)
    result = idx.read_idx(path)

    assert result.dtype == np.dtype(dtype)
    assert result.shape == shape
    np.testing.assert_array_equal(result, array)


def test_round_trip_big_endian_input(tmp_path: Path) -> None:
    array = np.arange(12, dtype=">i4").reshape(3, 4)

    idx.write_idx(tmp_path / "a", array)
    result = idx.read_idx(tmp_path / "a")

    assert result.dtype == np.dtype("int32")
    np.testing.assert_array_equal(result, array)


def test_read_returns_native_writable_array(tmp_path: Path) -> None:
    idx.write_idx(tmp_path / "a", np.ones(3, dtype=np.float64))

    result = idx.read_idx(tmp_path / "a")

    assert result.dtype.isnative
    assert result.flags.writeable


def test_write_layout_matches_format(tmp_path: Path) -> None:
    array = np.array([[1, 2, 3], [4, 5, 255]], dtype=np.uint8)

    idx.write_idx(tmp_path / "a", array)

    expected = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255])
    assert (tmp_path / "a").read_bytes() == expected


def test_write_int16_is_big_endian(tmp_path: Path) -> None:
    idx.write_idx(tmp_path / "a", np.array([258], dtype=np.int16))

    assert (tmp_path / "a").read_bytes() == bytes([0, 0, 0x0B, 1, 0, 0, 0, 1, 1, 2])


def test_write_gz_is_gzip(tmp_path: Path) -> None:
    array = np.arange(10, dtype=np.uint8)

    idx.write_idx(tmp_path / "a.gz", array)

    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress((tmp_path / "a.gz").read_bytes())[:4] == bytes([0, 0, 8, 1])


def test_read_mnist_header_values(tmp_path: Path) -> None:
    # The header of the real train-images file: 60000 images of 28x28, here without data.
    header = struct.pack(">HBBiii", 0, 0x08, 3, 60000, 28, 28)
    path = _write_raw(tmp_path / "train-images-idx3-ubyte", header)

    with pytest.raises(ValueError, match=r"needs 47040000 data bytes but the file has 0"):
        idx.read_idx(path)


MALFORMED = [
    ("bad magic", bytes([1, 0, 8, 1, 0, 0, 0, 1, 7]), r"bad magic number 0x01000801"),
    ("unknown type 0x0A", bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 7]), r"unknown type code 0x0A"),
    ("unknown type 0x07", bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 7]), r"unknown type code 0x07"),
    ("short magic", bytes([0, 0]), r"truncated header.*has 2 bytes"),
    ("short dims", bytes([0, 0, 8, 2, 0, 0, 0, 1, 0, 0]), r"truncated header.*2 dimensions"),
    ("zero dims", bytes([0, 0, 8, 0]), r"0 dimensions"),
    ("negative size", struct.pack(">HBBi", 0, 8, 1, -1), r"negative dimension size"),
    ("short data", bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 7]), r"truncated data.*needs 3.*has 2"),
    ("short float", struct.pack(">HBBi", 0, 0x0D, 1, 1) + b"\0\0", r"truncated data"),
    ("trailing", bytes([0, 0, 8, 1, 0, 0, 0, 1, 7, 7, 7]), r"2 trailing bytes"),
]


@pytest.mark.parametrize(("case", "content", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_read_malformed(tmp_path: Path, case: str, content: bytes, message: str) -> None:
    path = _write_raw(tmp_path / "bad-idx", content)

    with pytest.raises(ValueError, match=message) as raised:
        idx.read_idx(path)

    assert str(path) in str(raised.value)


@pytest.mark.parametrize(("case", "content", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_read_malformed_gz(tmp_path: Path, case: str, content: bytes, message: str) -> None:
    path = _write_raw(tmp_path / "bad-idx.gz", gzip.compress(content))

    with pytest.raises(ValueError, match=message):
        idx.read_idx(path)


def test_read_not_gzip(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "a.gz", bytes([0, 0, 8, 1, 0, 0, 0, 1, 7]))

    with pytest.raises(ValueError, match=r"Invalid gzip file .*a\.gz"):
        idx.read_idx(path)


def test_read_truncated_gzip(tmp_path: Path) -> None:
    compressed = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(range(100)))
    path = _write_raw(tmp_path / "a.gz", compressed[:-12])

    with pytest.raises(ValueError, match=r"Invalid gzip file .*a\.gz"):
        idx.read_idx(path)


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        idx.read_idx(tmp_path / "missing")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.arange(3, dtype=np.int64), r"cannot store dtype int64"),
        (np.zeros(3, dtype=bool), r"cannot store dtype bool"),
        (np.array(5, dtype=np.uint8), r"the array has 0"),
    ],
    ids=["int64", "bool", "scalar"],
)
def test_write_rejects(tmp_path: Path, array: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        idx.write_idx(tmp_path / "a", array)


def _write_channel(directory: Path, train: int = 6, test: int = 4, gz: bool = True) -> None:
    rng = np.random.default_rng(1)
    suffix = ".gz" if gz else ""
    images = rng.integers(0, 255, size=(train + test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=train + test, dtype=np.uint8)
    idx.write_idx(directory / f"train-images-idx3-ubyte{suffix}", images[:train])
    idx.write_idx(directory / "train-labels-idx1-ubyte", labels[:train])
    idx.write_idx(directory / f"t10k-images-idx3-ubyte{suffix}", images[train:])
    idx.write_idx(directory / "t10k-labels-idx1-ubyte", labels[train:])


def test_channel_loads_four_files(tmp_path: Path) -> None:
    _write_channel(tmp_path, train=6, test=4)

    x_train, y_train, x_test, y_test = idx.load_mnist_channel(tmp_path)

    assert x_train.shape == (6, 28, 28)
    assert y_train.shape == (6,)
    assert x_test.shape == (4, 28, 28)
    assert y_test.shape == (4,)
    assert x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_test, idx.read_idx(tmp_path / "t10k-images-idx3-ubyte.gz"))


def test_channel_prefers_plain_file(tmp_path: Path) -> None:
    _write_channel(tmp_path, gz=True)
    plain = np.zeros((6, 28, 28), dtype=np.uint8)
    idx.write_idx(tmp_path / "train-images-idx3-ubyte", plain)

    x_train = idx.load_mnist_channel(tmp_path)[0]

    np.testing.assert_array_equal(x_train, plain)


def test_channel_missing_files(tmp_path: Path) -> None:
    idx.write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((1, 2, 2), dtype=np.uint8))

    with pytest.raises(FileNotFoundError) as raised:
        idx.load_mnist_channel(tmp_path)

    message = str(raised.value)
    assert "missing 3 of the 4" in message
    assert "train-labels-idx1-ubyte[.gz]" in message
    assert "t10k-images-idx3-ubyte[.gz]" in message
    assert "t10k-labels-idx1-ubyte[.gz]" in message
    assert "train-images" not in message


def test_channel_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"directory not found: .*nowhere"):
        idx.load_mnist_channel(tmp_path / "nowhere")


def test_channel_count_mismatch(tmp_path: Path) -> None:
    _write_channel(tmp_path, train=6, test=4)
    idx.write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))

    with pytest.raises(ValueError, match=r"has 6 images but .* has 5 labels"):
        idx.load_mnist_channel(tmp_path)


def test_channel_wrong_dimensions(tmp_path: Path) -> None:
    _write_channel(tmp_path)
    idx.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros((4, 1), dtype=np.uint8))

    with pytest.raises(ValueError, match=r"expected a 1-dimensional array, found shape \(4, 1\)"):
        idx.load_mnist_channel(tmp_path)


def test_channel_image_size_mismatch(tmp_path: Path) -> None:
    _write_channel(tmp_path, test=4)
    idx.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 8, 8), dtype=np.uint8))

    with pytest.raises(ValueError, match=r"Image sizes differ"):
        idx.load_mnist_channel(tmp_path)


def test_find_mnist_files_empty(tmp_path: Path) -> None:
    assert idx.find_mnist_files(tmp_path) == {}
