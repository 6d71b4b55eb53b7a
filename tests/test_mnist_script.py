"""Tests that run the MNIST example's training script (examples/mnist/mnist.py) as a process.

The demo's tracker reads metrics from the script's stdout with the regular expressions below,
so these tests pin the line formats.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

pytestmark = pytest.mark.torch

MNIST_DIR = Path(__file__).resolve().parents[1] / "examples" / "mnist"
SCRIPT = MNIST_DIR / "mnist.py"
RUN_TIMEOUT_S = 120

# The metric definitions of the demo.
TRAIN_LOSS = re.compile(r"Train Loss: (.*?);")
TEST_LOSS = re.compile(r"Test Average loss: (.*?),")
TEST_ACCURACY = re.compile(r"Test Accuracy: (.*?)%;")

TRAIN_LINE = re.compile(r"Train Epoch: \d+ \[\d+/\d+ \(\d+%\)\] Train Loss: \d+\.\d{6};")
TEST_LINE = re.compile(r"Test Average loss: \d+\.\d{4}, Test Accuracy: \d+\.\d{2}%;")


def _load_idx_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mnist_idx", MNIST_DIR / "idx.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


idx = _load_idx_module()


def _run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # Start from a clean environment for the channel variables so the caller's shell
    # cannot change which data the script reads.
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
    run_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def _write_channel(directory: Path, train: int = 200, test: int = 50) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(train + test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=train + test, dtype=np.uint8)
    directory.mkdir(parents=True, exist_ok=True)
    idx.write_idx(directory / "train-images-idx3-ubyte.gz", images[:train])
    idx.write_idx(directory / "train-labels-idx1-ubyte.gz", labels[:train])
    idx.write_idx(directory / "t10k-images-idx3-ubyte", images[train:])
    idx.write_idx(directory / "t10k-labels-idx1-ubyte", labels[train:])


def _check_metric_lines(stdout: str, epochs: int) -> None:
    train_lines = [line for line in stdout.splitlines() if line.startswith("Train Epoch:")]
    test_lines = [line for line in stdout.splitlines() if line.startswith("Test Average")]
    assert train_lines
    assert len(test_lines) == epochs
    for line in train_lines:
        assert TRAIN_LINE.fullmatch(line), line
    for line in test_lines:
        assert TEST_LINE.fullmatch(line), line

    train_losses = [float(value) for value in TRAIN_LOSS.findall(stdout)]
    test_losses = [float(value) for value in TEST_LOSS.findall(stdout)]
    accuracies = [float(value) for value in TEST_ACCURACY.findall(stdout)]
    assert len(train_losses) == len(train_lines)
    assert len(test_losses) == epochs
    assert len(accuracies) == epochs
    assert all(loss > 0 for loss in train_losses + test_losses)
    assert all(0 <= accuracy <= 100 for accuracy in accuracies)


def _conv1_shape(model_path: Path) -> tuple[int, ...]:
    state = torch.load(model_path, weights_only=True)
    return tuple(state["conv1.weight"].shape)


def test_digits_run(tmp_path: Path) -> None:
    result = _run(tmp_path, "--epochs", "2", "--hidden_channels", "3", "--kernel-size", "3")

    assert result.returncode == 0, result.stderr
    assert "Using data: scikit-learn load_digits: 1437 training and 360 test" in result.stdout
    assert "Normalising with training-set mean" in result.stdout
    _check_metric_lines(result.stdout, epochs=2)
    assert _conv1_shape(tmp_path / "model" / "model.pth") == (3, 1, 3, 3)
    assert "Warning" not in result.stderr


def test_digits_train_progress(tmp_path: Path) -> None:
    result = _run(tmp_path, "--epochs", "1", "--hidden-channels", "2")

    # 1437 images in batches of 64 are 23 batches, logged after batches 10, 20 and 23.
    progress = re.findall(r"\[(\d+)/(\d+) \((\d+)%\)\]", result.stdout)
    assert progress == [("640", "1437", "45"), ("1280", "1437", "89"), ("1437", "1437", "100")]


def test_idx_channel_run(tmp_path: Path) -> None:
    channel = tmp_path / "training"
    model_dir = tmp_path / "out" / "model"
    _write_channel(channel)

    result = _run(
        tmp_path,
        "--epochs",
        "1",
        "--hidden-channels",
        "4",
        "--batch_size",
        "32",
        "--optimizer",
        "Adam",
        env={"SM_CHANNEL_TRAINING": str(channel), "SM_MODEL_DIR": str(model_dir)},
    )

    assert result.returncode == 0, result.stderr
    assert f"Using data: MNIST IDX files in {channel}: 200 training and 50 test" in result.stdout
    assert "of 28x28" in result.stdout
    _check_metric_lines(result.stdout, epochs=1)
    assert _conv1_shape(model_dir / "model.pth") == (4, 1, 5, 5)
    assert "Warning" not in result.stderr


def test_same_seed_same_output(tmp_path: Path) -> None:
    args = ("--epochs", "1", "--seed", "7", "--model-dir", str(tmp_path))

    first = _run(tmp_path, *args)
    second = _run(tmp_path, *args)

    metrics_first = [line for line in first.stdout.splitlines() if "Loss" in line or "loss" in line]
    metrics_second = [
        line for line in second.stdout.splitlines() if "Loss" in line or "loss" in line
    ]
    assert metrics_first
    assert metrics_first == metrics_second


def test_incomplete_channel_fails(tmp_path: Path) -> None:
    idx.write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))

    result = _run(tmp_path, "--epochs", "1", "--data-dir", str(tmp_path))

    assert result.returncode == 1
    assert "train-labels-idx1-ubyte[.gz]" in result.stderr
    assert not (tmp_path / "model" / "model.pth").exists()


def test_invalid_optimizer_fails(tmp_path: Path) -> None:
    result = _run(tmp_path, "--optimizer", "rmsprop")

    assert result.returncode == 2
    assert "invalid choice: 'rmsprop'" in result.stderr


def test_tiny_images_fail(tmp_path: Path) -> None:
    _write_channel(tmp_path, train=4, test=2)
    for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        count = 4 if name.startswith("train") else 2
        idx.write_idx(tmp_path / name, np.zeros((count, 2, 2), dtype=np.uint8))

    result = _run(tmp_path, "--epochs", "1", "--data-dir", str(tmp_path))

    assert result.returncode == 1
    assert "Invalid image size 2x2" in result.stderr
