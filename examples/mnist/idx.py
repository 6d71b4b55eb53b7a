"""Read and write IDX files, the array format of the MNIST data set.

An IDX file starts with a 4-byte magic number: two zero bytes, a type code and the number of
dimensions. Then come one big-endian int32 size per dimension and the array data in row-major
order, big-endian. Files whose name ends with ``.gz`` are read and written gzip-compressed.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

# IDX type code -> big-endian numpy dtype. 0x0A is not assigned by the format.
TYPE_CODE_TO_DTYPE: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
DTYPE_TO_TYPE_CODE: dict[np.dtype, int] = {
    dtype.newbyteorder("="): code for code, dtype in TYPE_CODE_TO_DTYPE.items()
}
MAGIC_SIZE_BYTES = 4
DIMENSION_SIZE_BYTES = 4
MAX_DIMENSIONS = 255
MAX_DIMENSION_SIZE = 2**31 - 1

# Standard file names of an MNIST channel, without the optional ".gz" suffix.
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
MNIST_FILE_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed if the name ends with ``.gz``) into a numpy array.

    The array has the file's shape and the native-byte-order version of its data type.

    Raises:
        ValueError: the file is not valid IDX (bad magic number, unknown type code, truncated
            header or data, trailing bytes) or not valid gzip. The message names the file.
        OSError: the file cannot be opened.
    """
    path = Path(path)
    content = _read_bytes(path)

    if len(content) < MAGIC_SIZE_BYTES:
        raise ValueError(
            f"Invalid IDX file {path}: truncated header, the file has {len(content)} bytes "
            f"but the magic number alone needs {MAGIC_SIZE_BYTES}."
        )
    zero_bytes, type_code, ndim = struct.unpack(">HBB", content[:MAGIC_SIZE_BYTES])
    if zero_bytes != 0:
        raise ValueError(
            f"Invalid IDX file {path}: bad magic number 0x{content[:MAGIC_SIZE_BYTES].hex()}, "
            "the first two bytes must be zero. Is this an IDX file?"
        )
    if type_code not in TYPE_CODE_TO_DTYPE:
        known = ", ".join(f"0x{code:02X}" for code in TYPE_CODE_TO_DTYPE)
        raise ValueError(
            f"Invalid IDX file {path}: unknown type code 0x{type_code:02X}, "
            f"expected one of {known}."
        )
    if ndim == 0:
        raise ValueError(f"Invalid IDX file {path}: the header declares 0 dimensions.")

    header_size = MAGIC_SIZE_BYTES + DIMENSION_SIZE_BYTES * ndim
    if len(content) < header_size:
        raise ValueError(
            f"Invalid IDX file {path}: truncated header, {ndim} dimensions need "
            f"{header_size} header bytes but the file has {len(content)}."
        )
    shape = struct.unpack(f">{ndim}i", content[MAGIC_SIZE_BYTES:header_size])
    if any(size < 0 for size in shape):
        raise ValueError(f"Invalid IDX file {path}: negative dimension size in shape {shape}.")

    dtype = TYPE_CODE_TO_DTYPE[type_code]
    expected_data_size = math.prod(shape) * dtype.itemsize
    data_size = len(content) - header_size
    if data_size < expected_data_size:
        raise ValueError(
            f"Invalid IDX file {path}: truncated data, shape {shape} of {dtype.name} needs "
            f"{expected_data_size} data bytes but the file has {data_size}."
        )
    if data_size > expected_data_size:
        raise ValueError(
            f"Invalid IDX file {path}: {data_size - expected_data_size} trailing bytes after "
            f"the data of shape {shape} ({expected_data_size} bytes)."
        )

    array = np.frombuffer(content, dtype=dtype, count=math.prod(shape), offset=header_size)
    # astype copies into a writable array in native byte order.
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a numpy array as an IDX file, gzip-compressed if the name ends with ``.gz``.

    Raises:
        ValueError: the array has no dimensions, too many, a dimension too large for int32,
            or a data type that IDX cannot store (IDX stores uint8, int8, int16, int32,
            float32 and float64).
    """
    path = Path(path)
    array = np.asarray(array)

    native_dtype = array.dtype.newbyteorder("=")
    if native_dtype not in DTYPE_TO_TYPE_CODE:
        supported = ", ".join(dtype.name for dtype in DTYPE_TO_TYPE_CODE)
        raise ValueError(
            f"Cannot write {path}: IDX cannot store dtype {array.dtype.name}. "
            f"Convert the array to one of {supported}."
        )
    if not 1 <= array.ndim <= MAX_DIMENSIONS:
        raise ValueError(
            f"Cannot write {path}: IDX stores 1 to {MAX_DIMENSIONS} dimensions, "
            f"the array has {array.ndim}."
        )
    if max(array.shape) > MAX_DIMENSION_SIZE:
        raise ValueError(
            f"Cannot write {path}: shape {array.shape} has a dimension larger than "
            f"{MAX_DIMENSION_SIZE}, the int32 limit of IDX."
        )

    type_code = DTYPE_TO_TYPE_CODE[native_dtype]
    header = struct.pack(f">HBB{array.ndim}i", 0, type_code, array.ndim, *array.shape)
    data = np.ascontiguousarray(array, dtype=TYPE_CODE_TO_DTYPE[type_code]).tobytes()

    if path.name.endswith(".gz"):
        with gzip.open(path, "wb") as stream:
            stream.write(header + data)
    else:
        path.write_bytes(header + data)


def find_mnist_files(directory: str | Path) -> dict[str, Path]:
    """Find the standard MNIST IDX files in a directory.

    Returns a dict from standard name (for example ``train-images-idx3-ubyte``) to the
    path found, plain or ``.gz``. Standard names without a file are left out. When both
    forms exist, the plain file wins because it is the one a user unpacked last.
    """
    directory = Path(directory)
    found: dict[str, Path] = {}
    for name in MNIST_FILE_NAMES:
        for candidate in (directory / name, directory / f"{name}.gz"):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def load_mnist_channel(
    directory: str | Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST from the four standard IDX files in a channel directory.

    Returns ``(x_train, y_train, x_test, y_test)``: images of shape (N, rows, columns) and
    labels of shape (N,), as stored in the files (uint8 for the original data).

    Raises:
        FileNotFoundError: the directory or some of the files are missing. The message lists
            every missing file.
        ValueError: a file is not valid IDX, or images and labels do not match.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST channel directory not found: {directory}")

    found = find_mnist_files(directory)
    missing = [f"{name}[.gz]" for name in MNIST_FILE_NAMES if name not in found]
    if missing:
        raise FileNotFoundError(
            f"MNIST channel {directory} is missing {len(missing)} of the "
            f"{len(MNIST_FILE_NAMES)} standard files: {', '.join(missing)}. "
            "Add the missing files (plain or gzip-compressed with a .gz suffix)."
        )

    x_train = _read_split_part(found[TRAIN_IMAGES], expected_ndim=3)
    y_train = _read_split_part(found[TRAIN_LABELS], expected_ndim=1)
    x_test = _read_split_part(found[TEST_IMAGES], expected_ndim=3)
    y_test = _read_split_part(found[TEST_LABELS], expected_ndim=1)

    _check_counts_match(found[TRAIN_IMAGES], x_train, found[TRAIN_LABELS], y_train)
    _check_counts_match(found[TEST_IMAGES], x_test, found[TEST_LABELS], y_test)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"Image sizes differ: {found[TRAIN_IMAGES]} has {x_train.shape[1:]} but "
            f"{found[TEST_IMAGES]} has {x_test.shape[1:]}."
        )
    return x_train, y_train, x_test, y_test


def _read_bytes(path: Path) -> bytes:
    """Read the whole file, decompressing it if the name ends with ``.gz``."""
    if not path.name.endswith(".gz"):
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"Invalid gzip file {path}: {error}") from error


def _read_split_part(path: Path, expected_ndim: int) -> np.ndarray:
    """Read one MNIST file and check its number of dimensions."""
    array = read_idx(path)
    if array.ndim != expected_ndim:
        raise ValueError(
            f"Invalid MNIST file {path}: expected a {expected_ndim}-dimensional array, "
            f"found shape {array.shape}."
        )
    return array


def _check_counts_match(
    images_path: Path, images: np.ndarray, labels_path: Path, labels: np.ndarray
) -> None:
    """Raise ValueError unless there is one label per image."""
    if len(images) != len(labels):
        raise ValueError(
            f"Image and label counts differ: {images_path} has {len(images)} images but "
            f"{labels_path} has {len(labels)} labels."
        )
