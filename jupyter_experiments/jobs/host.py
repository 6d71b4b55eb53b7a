"""Describe the host a local job runs on, and identify the job's process across pid reuse.

``host_details`` returns values meant to be recorded as parameters of a trial component.
``process_identity`` and ``is_process_alive`` let a later session (for example after a kernel
restart) tell whether a recorded job's process still runs, without mistaking a new process
that reused the pid for the job.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
from typing import TypedDict

import psutil

logger = logging.getLogger("jupyter_experiments.jobs")

NVIDIA_SMI_TIMEOUT_S = 2.0

# psutil derives a create time from the boot time and the process's start in clock ticks, so
# two reads of the same process can differ slightly. A reused pid gets a new create time that
# is at least this far off, unless the pid is recycled within this window.
CREATE_TIME_TOLERANCE_S = 1.0

HostDetails = dict[str, str | int | bool]


class ProcessIdentity(TypedDict):
    """A process's pid and creation time, which together identify it across pid reuse."""

    pid: int
    create_time: float


def host_details() -> HostDetails:
    """Return the host name, CPU count, memory, Python version, platform and visible GPUs.

    Keys are ``host:name``, ``host:cpu_count``, ``host:memory_total_bytes``,
    ``host:python_version``, ``host:platform`` and ``host:gpu_count``. ``host:gpu_names``
    (comma-separated) is present when GPUs are visible, and ``host:cuda_visible_devices``
    when that environment variable is set. GPU detection never imports torch. It queries
    ``torch.cuda`` only if torch is already imported, else runs ``nvidia-smi -L`` if it is on
    PATH, else reports 0 GPUs.
    """
    details: HostDetails = {
        "host:name": socket.gethostname(),
        "host:cpu_count": os.cpu_count() or 0,
        "host:memory_total_bytes": psutil.virtual_memory().total,
        "host:python_version": platform.python_version(),
        "host:platform": platform.platform(),
    }

    visible_devices = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible_devices is not None:
        details["host:cuda_visible_devices"] = visible_devices

    gpu_names = _visible_gpu_names(visible_devices)
    details["host:gpu_count"] = len(gpu_names)
    if gpu_names:
        details["host:gpu_names"] = ", ".join(gpu_names)
    return details


def _visible_gpu_names(visible_devices: str | None) -> list[str]:
    """Return the names of the GPUs this process can use, or [] when none are detected."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return _torch_gpu_names(torch)

    gpus = _nvidia_smi_gpus()
    if visible_devices is None:
        return [name for name, _uuid in gpus]
    return _filter_visible(gpus, visible_devices)


def _torch_gpu_names(torch: object) -> list[str]:
    """Return the CUDA device names from an already imported torch."""
    # NOTE: not run by the tests, which have no torch. The torch.cuda functions called here
    # already honour CUDA_VISIBLE_DEVICES.
    try:
        cuda = torch.cuda  # type: ignore[attr-defined]
        if not cuda.is_available():
            return []
        return [str(cuda.get_device_name(i)) for i in range(cuda.device_count())]
    except Exception:
        logger.warning(
            "Failed to list GPUs with torch.cuda, so 0 GPUs are reported.", exc_info=True
        )
        return []


def _nvidia_smi_gpus() -> list[tuple[str, str]]:
    """Return (name, UUID) for each GPU listed by ``nvidia-smi -L``, or [] without it."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return []

    try:
        completed = subprocess.run(
            [executable, "-L"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("Failed to list GPUs with %s -L: %s. 0 GPUs are reported.", executable, exc)
        return []

    # Lines look like "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5a1c...)". MIG devices are
    # listed on indented lines below their GPU and are not counted.
    gpus = []
    for line in completed.stdout.splitlines():
        if not line.startswith("GPU "):
            continue
        _, _, description = line.partition(": ")
        name, _, uuid_part = description.partition(" (UUID: ")
        gpus.append((name.strip(), uuid_part.rstrip(")").strip()))
    return gpus


def _filter_visible(gpus: list[tuple[str, str]], visible_devices: str) -> list[str]:
    """Return the names of the GPUs selected by a CUDA_VISIBLE_DEVICES value.

    Entries are indexes or UUIDs (or UUID prefixes). Like the CUDA runtime, the list stops at
    the first entry that selects no device, so "-1" or "" hides every GPU.
    """
    names = []
    for entry in (part.strip() for part in visible_devices.split(",")):
        if entry.isdigit() and int(entry) < len(gpus):
            names.append(gpus[int(entry)][0])
            continue

        matches = [name for name, uuid in gpus if entry and uuid.startswith(entry)]
        if len(matches) != 1:
            break
        names.append(matches[0])
    return names


def process_identity(pid: int) -> ProcessIdentity:
    """Return ``{"pid": pid, "create_time": seconds since the epoch}`` for a running process.

    Record both and pass them to ``is_process_alive`` later: the pid alone may have been
    reused by an unrelated process.

    Raises
    ------
    ProcessLookupError
        If no process with this pid exists.
    """
    try:
        create_time = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess as exc:
        raise ProcessLookupError(
            f"No process with pid {pid}: it has exited or never existed. "
            f"Read its identity while it runs."
        ) from exc
    return {"pid": pid, "create_time": create_time}


def is_process_alive(pid: int, create_time: float) -> bool:
    """Return True if the process ``pid`` runs and was created at ``create_time``.

    A zombie (exited, not yet reaped) counts as not alive. A process with the same pid but
    a create time more than ``CREATE_TIME_TOLERANCE_S`` away is a different process.
    """
    if pid <= 0:
        return False

    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - create_time) > CREATE_TIME_TOLERANCE_S:
            return False
        return process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        # Jobs run as the current user, so a process we may not inspect is not one of them.
        return False
