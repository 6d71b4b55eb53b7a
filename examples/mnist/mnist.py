"""Train a small CNN on handwritten digits and print its metrics as log lines.

This is the training script of the MNIST demo, modelled on the SageMaker Experiments MNIST
tutorial. It runs as a plain child process, so it must not import jupyter_experiments: the
tracker reads its metrics from stdout with these regular expressions::

    Train Loss: (.*?);
    Test Average loss: (.*?),
    Test Accuracy: (.*?)%;

Data: the MNIST IDX files in the training channel directory (``--data-dir``, else the
``SM_CHANNEL_TRAINING`` environment variable) if that directory contains any, otherwise the
8x8 digits that scikit-learn ships (``sklearn.datasets.load_digits``, no download).
The state_dict of the trained model is saved as ``model.pth`` in the model directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import idx  # idx.py next to this script, on sys.path when run as a script
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Sized for load_digits (23 batches of 64 per epoch). One epoch of full MNIST has 938
# batches of 28x28 images, so pass a much smaller --epochs for MNIST.
DEFAULT_EPOCHS = 200
NUM_CLASSES = 10
# Output channels of the second convolution, fixed as in the SageMaker tutorial so that
# --hidden-channels alone sets the capacity of the first layer.
SECOND_CONV_CHANNELS = 20
FIRST_DENSE_UNITS = 50
# load_digits has no fixed test set. The split seed is a constant, not --seed, so that
# trials with different seeds are scored on the same test images.
DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0
DIGITS_MAX_PIXEL = 16.0
MNIST_MAX_PIXEL = 255.0
MODEL_FILE_NAME = "model.pth"
# Smallest image side that survives the two 2x2 max poolings of Net.
MIN_IMAGE_SIZE = 4


@dataclass
class Dataset:
    """Train and test images of shape (N, 1, rows, columns) with their int64 labels."""

    description: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


class Net(nn.Module):
    """Two convolution blocks and two dense layers, for square images of MIN_IMAGE_SIZE or more."""

    def __init__(self, hidden_channels: int, kernel_size: int, dropout: float, image_size: int):
        super().__init__()
        # "Same" padding keeps 8x8 inputs large enough for two 2x2 poolings.
        padding = kernel_size // 2
        self.conv1 = nn.Conv2d(1, hidden_channels, kernel_size=kernel_size, padding=padding)
        self.conv2 = nn.Conv2d(
            hidden_channels, SECOND_CONV_CHANNELS, kernel_size=kernel_size, padding=padding
        )
        self.conv2_drop = nn.Dropout2d(p=dropout)
        self.dropout = dropout

        # The flattened size depends on the image size, so measure it once.
        with torch.no_grad():
            flat_size = self._features(torch.zeros(1, 1, image_size, image_size)).shape[1]
        self.fc1 = nn.Linear(flat_size, FIRST_DENSE_UNITS)
        self.fc2 = nn.Linear(FIRST_DENSE_UNITS, NUM_CLASSES)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        return torch.flatten(x, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the log-probabilities of the classes, shape (batch, NUM_CLASSES)."""
        x = F.relu(self.fc1(self._features(x)))
        x = F.dropout(x, p=self.dropout, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def range_type(
    convert: Callable[[str], float], minimum: float, maximum: float | None = None
) -> Callable[[str], float]:
    """Build an argparse type that converts a value and checks minimum <= value < maximum."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid {convert.__name__} value: {text!r}"
            ) from None
        if value < minimum or (maximum is not None and value >= maximum):
            limit = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum})"
            raise argparse.ArgumentTypeError(f"{text!r} must be {limit}")
        return value

    parse.__name__ = convert.__name__
    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line. Every multi-word option also has an underscore spelling."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hidden-channels",
        "--hidden_channels",
        type=range_type(int, 1),
        default=10,
        help="output channels of the first convolution, the model capacity (default: 10)",
    )
    parser.add_argument(
        "--kernel-size",
        "--kernel_size",
        type=range_type(int, 1),
        default=5,
        help="side of the square convolution kernels, in pixels (default: 5)",
    )
    parser.add_argument(
        "--dropout",
        type=range_type(float, 0.0, 1.0),
        default=0.2,
        help="dropout probability after the second convolution and the first dense layer "
        "(default: 0.2)",
    )

    parser.add_argument(
        "--optimizer",
        type=str.lower,
        choices=["sgd", "adam"],
        default="sgd",
        help="optimizer (default: sgd)",
    )
    parser.add_argument(
        "--lr", type=range_type(float, 0.0), default=0.01, help="learning rate (default: 0.01)"
    )
    parser.add_argument(
        "--momentum",
        type=range_type(float, 0.0),
        default=0.5,
        help="SGD momentum, ignored by adam (default: 0.5)",
    )

    parser.add_argument(
        "--epochs",
        type=range_type(int, 1),
        default=DEFAULT_EPOCHS,
        help=f"passes over the training set (default: {DEFAULT_EPOCHS}, sized for load_digits; "
        "use far fewer for full MNIST)",
    )
    parser.add_argument(
        "--batch-size",
        "--batch_size",
        type=range_type(int, 1),
        default=64,
        help="training batch size (default: 64)",
    )
    parser.add_argument(
        "--test-batch-size",
        "--test_batch_size",
        type=range_type(int, 1),
        default=1000,
        help="evaluation batch size (default: 1000)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of weights and batch order (default: 1)"
    )
    parser.add_argument(
        "--log-interval",
        "--log_interval",
        type=range_type(int, 1),
        default=10,
        help="training batches between two 'Train Loss' lines (default: 10)",
    )

    parser.add_argument(
        "--data-dir",
        "--data_dir",
        type=Path,
        default=os.environ.get("SM_CHANNEL_TRAINING"),
        help="directory with MNIST IDX files (default: $SM_CHANNEL_TRAINING). "
        "Without IDX files the script uses scikit-learn's load_digits",
    )
    parser.add_argument(
        "--model-dir",
        "--model_dir",
        type=Path,
        default=os.environ.get("SM_MODEL_DIR", "model"),
        help=f"directory for {MODEL_FILE_NAME}, created if missing "
        "(default: $SM_MODEL_DIR, else ./model)",
    )
    return parser.parse_args(argv)


def load_data(data_dir: Path | None) -> Dataset:
    """Load MNIST from ``data_dir`` if it contains IDX files, else scikit-learn's digits."""
    if data_dir is not None and idx.find_mnist_files(data_dir):
        x_train, y_train, x_test, y_test = idx.load_mnist_channel(data_dir)
        max_pixel = MNIST_MAX_PIXEL
        source = f"MNIST IDX files in {data_dir}"
    else:
        x_train, y_train, x_test, y_test = _split_digits()
        max_pixel = DIGITS_MAX_PIXEL
        source = "scikit-learn load_digits"
        if data_dir is not None:
            source += f" (no MNIST IDX files in {data_dir})"

    rows, columns = x_train.shape[1:]
    if rows != columns or rows < MIN_IMAGE_SIZE:
        raise ValueError(
            f"Invalid image size {rows}x{columns}: the model needs square images of at least "
            f"{MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE} pixels."
        )
    for name, labels in (("training", y_train), ("test", y_test)):
        if labels.size and not 0 <= labels.min() <= labels.max() < NUM_CLASSES:
            raise ValueError(
                f"Invalid {name} labels: expected 0 to {NUM_CLASSES - 1}, "
                f"found {labels.min()} to {labels.max()}."
            )

    description = (
        f"{source}: {len(x_train)} training and {len(x_test)} test images of {rows}x{columns}"
    )
    return Dataset(
        description=description,
        x_train=_to_images(x_train, max_pixel),
        y_train=torch.from_numpy(y_train.astype(np.int64)),
        x_test=_to_images(x_test, max_pixel),
        y_test=torch.from_numpy(y_test.astype(np.int64)),
    )


def _split_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # Imported here so that runs on MNIST files work without scikit-learn.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images,
        digits.target,
        test_size=DIGITS_TEST_FRACTION,
        random_state=DIGITS_SPLIT_SEED,
        stratify=digits.target,
    )
    return x_train, y_train, x_test, y_test


def _to_images(pixels: np.ndarray, max_pixel: float) -> torch.Tensor:
    scaled = pixels.astype(np.float32) / max_pixel
    return torch.from_numpy(scaled).unsqueeze(1)


def train_epoch(
    model: Net,
    optimizer: torch.optim.Optimizer,
    data: Dataset,
    epoch: int,
    args: argparse.Namespace,
    generator: torch.Generator,
) -> None:
    """Train one epoch and print the mean loss every ``args.log_interval`` batches."""
    model.train()
    total = len(data.x_train)
    order = torch.randperm(total, generator=generator)
    num_batches = (total + args.batch_size - 1) // args.batch_size
    interval_loss = 0.0
    interval_batches = 0

    for batch_index in range(num_batches):
        indices = order[batch_index * args.batch_size : (batch_index + 1) * args.batch_size]
        optimizer.zero_grad()
        loss = F.nll_loss(model(data.x_train[indices]), data.y_train[indices])
        loss.backward()
        optimizer.step()
        interval_loss += loss.item()
        interval_batches += 1

        # The last batch always logs, so every epoch prints at least one Train Loss line.
        if interval_batches == args.log_interval or batch_index == num_batches - 1:
            done = min((batch_index + 1) * args.batch_size, total)
            print(
                f"Train Epoch: {epoch} [{done}/{total} ({100.0 * done / total:.0f}%)] "
                f"Train Loss: {interval_loss / interval_batches:.6f};",
                flush=True,
            )
            interval_loss = 0.0
            interval_batches = 0


def evaluate(model: Net, data: Dataset, test_batch_size: int) -> tuple[float, float]:
    """Return the mean loss per image and the accuracy in percent on the test set."""
    model.eval()
    loss_sum = 0.0
    correct = 0
    with torch.no_grad():
        for start in range(0, len(data.x_test), test_batch_size):
            images = data.x_test[start : start + test_batch_size]
            labels = data.y_test[start : start + test_batch_size]
            output = model(images)
            loss_sum += F.nll_loss(output, labels, reduction="sum").item()
            correct += int((output.argmax(dim=1) == labels).sum())
    return loss_sum / len(data.x_test), 100.0 * correct / len(data.x_test)


def main(argv: Sequence[str] | None = None) -> None:
    """Train, print the metric lines and save the model."""
    args = parse_args(argv)
    started = time.perf_counter()
    # One thread keeps results independent of the machine's core count, and concurrent
    # trials do not oversubscribe the cores: on 2 cores, two concurrent 100-epoch runs
    # took 10 s with one thread each and 32 s with two (one run alone: 7 s versus 6 s).
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    try:
        data = load_data(args.data_dir)
    except (OSError, ValueError) as error:
        sys.exit(f"mnist.py: error: {error}")
    if len(data.x_train) == 0 or len(data.x_test) == 0:
        sys.exit(f"mnist.py: error: the training or test set is empty in {data.description}.")
    print(f"Using data: {data.description}", flush=True)

    # Normalise with the training set's statistics only, so no test information leaks.
    mean = data.x_train.mean().item()
    std = data.x_train.std().item()
    print(f"Normalising with training-set mean {mean:.4f} and std {std:.4f}", flush=True)
    data.x_train = (data.x_train - mean) / std
    data.x_test = (data.x_test - mean) / std

    model = Net(args.hidden_channels, args.kernel_size, args.dropout, data.x_train.shape[-1])
    optimizer: torch.optim.Optimizer
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    print(
        f"Training {sum(p.numel() for p in model.parameters())} parameters with "
        f"hidden_channels={args.hidden_channels}, kernel_size={args.kernel_size}, "
        f"dropout={args.dropout}, optimizer={args.optimizer}, lr={args.lr}, "
        f"momentum={args.momentum}, epochs={args.epochs}, batch_size={args.batch_size}, "
        f"seed={args.seed}",
        flush=True,
    )

    for epoch in range(1, args.epochs + 1):
        train_epoch(model, optimizer, data, epoch, args, generator)
        test_loss, accuracy = evaluate(model, data, args.test_batch_size)
        print(f"Test Average loss: {test_loss:.4f}, Test Accuracy: {accuracy:.2f}%;", flush=True)

    args.model_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.model_dir / MODEL_FILE_NAME
    torch.save(model.state_dict(), model_path)
    print(f"Saved model to {model_path} after {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
