"""Run a training script as a local child process and pump its output line by line.

``JobProcess`` starts the child in its own session, so ``stop()`` reaches every process the
script starts (data loader workers, for example). Two threads read stdout and stderr as the
output arrives. Each line is appended to one log file, optionally echoed, and passed to a
callback, which is where the caller parses metrics and records them.

Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``. A lone ``\\r`` counts as a line end so that
progress bars redrawn in place (tqdm, for example) reach the callback live rather than at the
end of each bar.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, NamedTuple, TextIO

import psutil

from jupyter_experiments.errors import ValidationError

logger = logging.getLogger("jupyter_experiments.jobs")

STDOUT = "stdout"
STDERR = "stderr"

STDERR_TAIL_LINES = 20
DEFAULT_GRACE_PERIOD_S = 10.0
READ_CHUNK_BYTES = 64 * 1024

# A longer run of output without a line end is passed on in pieces of this size, so a child
# that never writes a newline cannot grow the buffer without bound.
MAX_LINE_BYTES = 1024 * 1024

# After the child exits, how long wait() and poll() give the reader threads to reach the end
# of both pipes. A process the child started keeps the pipes open while it lives.
OUTPUT_DRAIN_TIMEOUT_S = 5.0

STOP_POLL_INTERVAL_S = 0.05

_LINE_END = re.compile(rb"\r\n|\r|\n")

if sys.platform == "win32":
    _CREATION_FLAGS = subprocess.CREATE_NEW_PROCESS_GROUP
else:
    _CREATION_FLAGS = 0

OnLine = Callable[[str, str, float], None]


class _Piece(NamedTuple):
    """A line read from a pipe, or the ``\\n`` completing a ``\\r\\n`` split across reads."""

    content: bytes
    terminator: bytes
    is_line: bool


class _LineSplitter:
    """Split the bytes read from one pipe into lines, keeping each line's terminator."""

    def __init__(self) -> None:
        self._buffer = b""
        self._after_cr = False

    def feed(self, data: bytes) -> list[_Piece]:
        """Return the pieces completed by ``data``. A partial last line stays buffered."""
        pieces: list[_Piece] = []

        # A "\r" at the end of the previous read was passed on at once. If this read starts
        # with "\n", the two form one "\r\n" terminator, not an empty line.
        if self._after_cr and data.startswith(b"\n"):
            pieces.append(_Piece(b"", b"\n", is_line=False))
            data = data[1:]
        self._after_cr = False

        start = 0
        for match in _LINE_END.finditer(data):
            pieces.append(_Piece(self._buffer + data[start : match.start()], match[0], True))
            self._buffer = b""
            start = match.end()
        self._buffer += data[start:]
        self._after_cr = start == len(data) and data.endswith(b"\r")

        while len(self._buffer) > MAX_LINE_BYTES:
            pieces.append(_Piece(self._buffer[:MAX_LINE_BYTES], b"", True))
            self._buffer = self._buffer[MAX_LINE_BYTES:]
        return pieces

    def finish(self) -> list[_Piece]:
        """Return the last line if the output did not end with a line end."""
        if not self._buffer:
            return []
        piece = _Piece(self._buffer, b"", True)
        self._buffer = b""
        return [piece]


class JobProcess:
    """A training script running as a local child process, with its output pumped live.

    The child starts in the constructor, in a new session (a new process group), with
    ``PYTHONUNBUFFERED=1`` and, unless ``env`` sets it, ``PYTHONIOENCODING=utf-8``. Its stdin
    is ``/dev/null``. Output is decoded as UTF-8, with invalid bytes replaced by U+FFFD.

    For each line, in the order lines arrive from either pipe:

    1. it is appended to ``log_path`` (opened for appending, parents created) and flushed.
       stdout and stderr are interleaved without a prefix, as a terminal would show them.
       Each line keeps its terminator, and a last line without one gets ``\\n``.
    2. it is written to ``echo`` (a text stream, or ``sys.stdout`` as it was at construction
       when ``echo`` is True), which is flushed after each read from the pipe.
    3. ``on_line(stream, line, timestamp)`` is called with ``"stdout"`` or ``"stderr"``, the
       line without its terminator, and the time the line was read from the pipe in seconds
       since the Unix epoch (UTC).

    Calls to ``on_line`` are serialized: never two at once, and in the order of the log
    file. They run on a reader thread, so a slow callback delays reading. The first
    exception ``on_line`` raises is logged with the pid, later ones are only counted in
    ``callback_errors``, and pumping continues.

    NOTE: the child's own session keeps it out of reach of signals sent to this process's
    group, but it does not outlive this process: once the reader threads are gone, the child's
    next write raises BrokenPipeError (checked with a Python child on Linux).

    Parameters
    ----------
    command
        The program and its arguments, for example ``[sys.executable, "-u", "train.py"]``.
    cwd
        Working directory of the child, or None for the current one.
    env
        The child's complete environment (merge ``os.environ`` in yourself), or None to
        inherit this process's environment.
    log_path
        File that receives both streams.
    on_line
        Callback for each line, see above.
    echo
        True to echo lines to ``sys.stdout``, a text stream to echo to, or False.

    Raises
    ------
    ValidationError
        If ``command`` is not a non-empty list of strings.
    OSError
        If the log file cannot be opened or the program cannot be started.
    """

    def __init__(
        self,
        command: Sequence[str | os.PathLike[str]],
        cwd: str | os.PathLike[str] | None,
        env: Mapping[str, str] | None,
        log_path: str | os.PathLike[str],
        on_line: OnLine,
        echo: bool | TextIO = False,
    ) -> None:
        self._command = _check_command(command)
        self._log_path = os.fspath(log_path)
        self._on_line = on_line
        self._echo: TextIO | None = None
        if echo is True:
            self._echo = sys.stdout
        elif echo is not False:
            self._echo = echo

        self._output_lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stopped = False
        self._callback_errors = 0
        self._log_failed = False
        self._exited_at: float | None = None
        self._drain_warned = False

        child_env = dict(os.environ if env is None else env)
        child_env["PYTHONUNBUFFERED"] = "1"
        child_env.setdefault("PYTHONIOENCODING", "utf-8")

        parent = os.path.dirname(self._log_path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        self._log_file: TextIO | None = open(  # noqa: SIM115 - closed by the last reader thread
            self._log_path, "a", encoding="utf-8", newline=""
        )

        try:
            self._popen = subprocess.Popen(
                self._command,
                cwd=cwd,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=sys.platform != "win32",
                creationflags=_CREATION_FLAGS,
            )
        except OSError as exc:
            self._log_file.close()
            raise type(exc)(
                exc.errno,
                f"Failed to start job {self._command!r} in "
                f"{os.fspath(cwd) if cwd else os.getcwd()!r}: "
                f"{exc.strerror or exc}. Check that the program exists and is executable and "
                f"that the working directory exists",
            ) from exc

        # Whatever interrupts the rest of the set-up (Ctrl+C included) must not leave the child
        # running with no handle to stop it.
        try:
            self._create_time = _create_time(self._popen.pid)
            logger.info(
                "Started job pid %d: %s (log %s)", self._popen.pid, self._command, self._log_path
            )

            assert self._popen.stdout is not None and self._popen.stderr is not None
            self._open_readers = 2
            self._readers = [
                threading.Thread(
                    target=self._pump,
                    args=(name, pipe),
                    name=f"job-{self._popen.pid}-{name}",
                    daemon=True,
                )
                for name, pipe in ((STDOUT, self._popen.stdout), (STDERR, self._popen.stderr))
            ]
            for reader in self._readers:
                reader.start()
        except BaseException:
            self._kill_after_failed_start()
            raise

    def _kill_after_failed_start(self) -> None:
        logger.error("Set-up of job pid %d failed; killing its process group.", self._popen.pid)
        try:
            if sys.platform == "win32":
                self._popen.kill()
            else:
                os.killpg(self._popen.pid, signal.SIGKILL)
        except OSError:
            pass
        self._popen.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    @property
    def pid(self) -> int:
        """Process id of the child, which is also its process group id."""
        return self._popen.pid

    @property
    def create_time(self) -> float:
        """Creation time of the child in seconds since the epoch, as psutil reports it."""
        return self._create_time

    @property
    def command(self) -> list[str]:
        """The program and arguments the child was started with."""
        return list(self._command)

    @property
    def log_path(self) -> str:
        """File that receives both output streams."""
        return self._log_path

    @property
    def stopped(self) -> bool:
        """True if ``stop()`` was called while the child was running."""
        return self._stopped

    @property
    def callback_errors(self) -> int:
        """Number of exceptions ``on_line`` raised."""
        return self._callback_errors

    def stderr_tail(self) -> str:
        """Return the last stderr lines (at most ``STDERR_TAIL_LINES``), joined by newlines.

        Lines ended by a lone ``\\r`` are left out, because a terminal overwrites them too.
        """
        with self._output_lock:
            return "\n".join(self._stderr_tail)

    def poll(self) -> int | None:
        """Return the exit code, or None while the child runs or its output is being read.

        The output counts as read once both pipes reached their end, or
        ``OUTPUT_DRAIN_TIMEOUT_S`` after the child exited. A negative code ``-N`` means the
        child was ended by signal ``N``.
        """
        returncode = self._popen.poll()
        if returncode is None:
            return None

        if self._exited_at is None:
            self._exited_at = time.monotonic()
        readers_alive = any(reader.is_alive() for reader in self._readers)
        if readers_alive and time.monotonic() - self._exited_at < OUTPUT_DRAIN_TIMEOUT_S:
            return None

        self._warn_if_not_drained()
        return returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to exit and its output to be read, and return the exit code.

        ``timeout`` bounds the wait for the child in seconds. After it exits, the reader
        threads get up to ``OUTPUT_DRAIN_TIMEOUT_S`` more to reach the end of both pipes.

        Raises
        ------
        subprocess.TimeoutExpired
            If the child is still running after ``timeout`` seconds.
        """
        returncode = self._popen.wait(timeout)
        if self._exited_at is None:
            self._exited_at = time.monotonic()

        deadline = self._exited_at + OUTPUT_DRAIN_TIMEOUT_S
        for reader in self._readers:
            reader.join(max(0.0, deadline - time.monotonic()))

        self._warn_if_not_drained()
        return returncode

    def stop(self, grace_period_s: float = DEFAULT_GRACE_PERIOD_S) -> None:
        """Stop the child and every process in its group, then reap the child.

        Sends SIGTERM to the process group, and SIGKILL if any process of the group still
        runs ``grace_period_s`` seconds later. Does nothing if the child has already exited,
        so calling it twice is safe. Blocks until the child has exited.
        """
        with self._stop_lock:
            if self._popen.poll() is not None:
                logger.debug(
                    "Job pid %d has already exited, so there is nothing to stop.", self.pid
                )
                return

            self._stopped = True
            logger.info("Stopping job pid %d: sending SIGTERM to its process group.", self.pid)
            self._signal_group(force=False)

            deadline = time.monotonic() + grace_period_s
            while time.monotonic() < deadline:
                if self._popen.poll() is not None and not self._group_has_live_members():
                    break
                time.sleep(STOP_POLL_INTERVAL_S)
            else:
                logger.warning(
                    "Job pid %d: its processes still run %.1f s after SIGTERM, so sending SIGKILL.",
                    self.pid,
                    grace_period_s,
                )
                self._signal_group(force=True)

            returncode = self._popen.wait()
            logger.info("Stopped job pid %d (exit code %d).", self.pid, returncode)

    def _signal_group(self, force: bool) -> None:
        """Send SIGKILL if ``force`` else SIGTERM to the child's process group."""
        if sys.platform == "win32":
            # NOTE: never run by the tests. On Windows only the child itself is ended, not
            # the processes it started.
            if force:
                self._popen.kill()
            else:
                self._popen.terminate()
            return

        # ProcessLookupError means every process of the group has exited already.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL if force else signal.SIGTERM)

    def _group_has_live_members(self) -> bool:
        """Return True if a process of the child's group runs and is not a zombie."""
        if sys.platform == "win32":
            return False

        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

        # killpg also succeeds while the group holds only zombies, which no signal ends and
        # which wait for a parent to reap them.
        for process in psutil.process_iter(["status"]):
            try:
                if (
                    os.getpgid(process.pid) == self.pid
                    and process.info["status"] != psutil.STATUS_ZOMBIE
                ):
                    return True
            except (ProcessLookupError, psutil.Error):
                continue
        return False

    def _warn_if_not_drained(self) -> None:
        """Log once if the child exited but a reader thread is still reading."""
        if self._drain_warned or not any(reader.is_alive() for reader in self._readers):
            return

        self._drain_warned = True
        logger.warning(
            "Job pid %d exited, but its output pipes were still open %.1f s later, probably "
            "held by a process it started. Output arriving later is still logged and passed "
            "to on_line.",
            self.pid,
            OUTPUT_DRAIN_TIMEOUT_S,
        )

    def _pump(self, stream: str, pipe: IO[bytes]) -> None:
        """Read one pipe until its end and handle each line. Runs on a reader thread."""
        splitter = _LineSplitter()
        try:
            while True:
                chunk = pipe.read(READ_CHUNK_BYTES)
                timestamp = time.time()
                if not chunk:
                    break
                for piece in splitter.feed(chunk):
                    self._handle(stream, piece, timestamp)
                self._flush_echo()

            for piece in splitter.finish():
                self._handle(stream, piece, time.time())
            self._flush_echo()
        except Exception:
            logger.exception("Stopped reading %s of job pid %d after an error.", stream, self.pid)
        finally:
            pipe.close()
            self._close_reader()

    def _handle(self, stream: str, piece: _Piece, timestamp: float) -> None:
        """Log, echo and pass on one line."""
        line = piece.content.decode("utf-8", errors="replace")
        terminator = piece.terminator.decode("ascii") or "\n"

        with self._output_lock:
            self._write_log(line + terminator)
            self._write_echo(line + terminator)
            if not piece.is_line:
                return

            if stream == STDERR and terminator != "\r":
                self._stderr_tail.append(line)

            try:
                self._on_line(stream, line, timestamp)
            except Exception:
                self._callback_errors += 1
                if self._callback_errors == 1:
                    logger.exception(
                        "on_line raised an exception for a line of job pid %d. Later exceptions "
                        "are only counted in JobProcess.callback_errors.",
                        self.pid,
                    )

    def _write_log(self, text: str) -> None:
        if self._log_file is None or self._log_failed:
            return

        try:
            self._log_file.write(text)
            self._log_file.flush()
        except OSError:
            # Keep pumping: a child blocked on a full pipe would hang the job.
            self._log_failed = True
            logger.exception(
                "Failed to write the log %s of job pid %d, so its later output is not logged.",
                self._log_path,
                self.pid,
            )

    def _write_echo(self, text: str) -> None:
        if self._echo is None:
            return

        try:
            self._echo.write(text)
        except (OSError, ValueError):
            self._disable_echo()

    def _flush_echo(self) -> None:
        """Flush the echo stream once per read rather than per line.

        In Jupyter, ipykernel's ``OutStream.flush`` called from a thread other than the kernel's
        IO thread waits for that thread, so flushing every line would slow down a chatty job.
        """
        with self._output_lock:
            if self._echo is None:
                return

            try:
                self._echo.flush()
            except (OSError, ValueError):
                self._disable_echo()

    def _disable_echo(self) -> None:
        # ValueError is what a closed stream raises.
        logger.exception("Failed to echo the output of job pid %d, so echo is now off.", self.pid)
        self._echo = None

    def _close_reader(self) -> None:
        """Close the log file once both reader threads are done."""
        with self._output_lock:
            self._open_readers -= 1
            if self._open_readers == 0 and self._log_file is not None:
                self._log_file.close()
                self._log_file = None


def _check_command(command: object) -> list[str]:
    """Return ``command`` as a list of strings after checking that it is a non-empty list.

    Parts may be strings or path-like objects such as ``pathlib.Path``.
    """
    if (
        isinstance(command, (str, bytes))
        or not isinstance(command, Sequence)
        or not command
        or not all(isinstance(part, (str, os.PathLike)) for part in command)
    ):
        raise ValidationError(
            f"Invalid command {command!r}: expected a non-empty list of strings such as "
            f"[sys.executable, '-u', 'train.py']."
        )
    return [os.fspath(part) for part in command]


def _create_time(pid: int) -> float:
    """Return the creation time psutil reports for ``pid``, or now if it cannot be read."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        # Unexpected: the child can be inspected until wait() or poll() reaps it, even after exit.
        logger.warning(
            "Failed to read the create time of job pid %d, so using the current time.", pid
        )
        return time.time()
