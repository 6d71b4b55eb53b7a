"""Tests for running a local job process, identifying it, and describing its host.

Every test runs real child processes: small Python scripts written into ``tmp_path``.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyter_experiments.errors import ValidationError
from jupyter_experiments.jobs.host import host_details, is_process_alive, process_identity
from jupyter_experiments.jobs.metric_definitions import MetricParser, validate_metric_definitions
from jupyter_experiments.jobs.process import MAX_LINE_BYTES, JobProcess, _LineSplitter

LOGGER_NAME = "jupyter_experiments.jobs"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")


class Lines:
    """An on_line callback that records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, stream: str, line: str, timestamp: float) -> None:
        with self._lock:
            self.calls.append((stream, line, timestamp))

    def texts(self, stream: str | None = None) -> list[str]:
        with self._lock:
            return [line for s, line, _ in self.calls if stream in (None, s)]


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def parent_env() -> dict[str, str]:
    """Return this process's environment without PYTHONUNBUFFERED, which JobProcess must set."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


@pytest.fixture
def start_job(tmp_path: Path):
    """Return a function that writes a script and starts it as a JobProcess."""
    jobs: list[JobProcess] = []

    def start(
        source: str,
        on_line: Callable[[str, str, float], None] | None = None,
        echo: bool | io.StringIO = False,
        env: dict[str, str] | None = None,
    ) -> tuple[JobProcess, Lines]:
        script = tmp_path / f"script_{len(jobs)}.py"
        script.write_text(textwrap.dedent(source), encoding="utf-8")
        lines = Lines()
        job = JobProcess(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=parent_env() if env is None else env,
            log_path=tmp_path / "logs" / f"job_{len(jobs)}.log",
            on_line=on_line or lines,
            echo=echo,
        )
        jobs.append(job)
        return job, lines

    yield start

    # Leave no child running when a test fails half-way.
    for job in jobs:
        job.stop(grace_period_s=1.0)
        job.wait()


def read_log(job: JobProcess) -> str:
    # Read the bytes so that "\r" is not turned into "\n" by universal newlines.
    return Path(job.log_path).read_bytes().decode("utf-8")


# Output


def test_lines_arrive_live(start_job) -> None:
    started = time.time()
    job, lines = start_job(
        """
        import time
        print("first")
        time.sleep(3)
        print("second")
        """
    )

    arrived = wait_until(lambda: bool(lines.calls), timeout_s=1.5)

    assert arrived
    assert job.poll() is None
    assert lines.calls[0][:2] == ("stdout", "first")
    assert lines.calls[0][2] - started < 1.5
    assert job.wait() == 0
    assert lines.texts() == ["first", "second"]


def test_timestamps_are_epoch_seconds(start_job) -> None:
    before = time.time()
    job, lines = start_job("print('x')")
    job.wait()

    assert before <= lines.calls[0][2] <= time.time()


def test_stderr_lines_and_tail(start_job) -> None:
    job, lines = start_job(
        """
        import sys
        for i in range(30):
            print(f"err {i}", file=sys.stderr)
        print("out")
        sys.exit(3)
        """
    )

    assert job.wait() == 3
    assert lines.texts("stderr") == [f"err {i}" for i in range(30)]
    assert lines.texts("stdout") == ["out"]
    assert job.stderr_tail() == "\n".join(f"err {i}" for i in range(10, 30))


def test_stderr_tail_shows_traceback(start_job) -> None:
    job, _ = start_job("1 / 0")

    assert job.wait() == 1
    assert job.stderr_tail().startswith("Traceback (most recent call last):")
    assert job.stderr_tail().endswith("ZeroDivisionError: division by zero")


def test_stderr_tail_skips_progress_redraws(start_job) -> None:
    job, lines = start_job(
        """
        import sys
        sys.stderr.write("10%\\r50%\\r100%\\n")
        sys.stderr.write("failed\\n")
        """
    )
    job.wait()

    assert lines.texts("stderr") == ["10%", "50%", "100%", "failed"]
    assert job.stderr_tail() == "100%\nfailed"


@pytest.mark.parametrize("code", [0, 1, 7])
def test_exit_code(start_job, code: int) -> None:
    job, _ = start_job(f"raise SystemExit({code})")

    assert job.wait() == code
    assert job.poll() == code
    assert job.stopped is False


def test_poll_while_running(start_job) -> None:
    job, lines = start_job(
        """
        import time
        print("ready")
        time.sleep(60)
        """
    )
    wait_until(lambda: bool(lines.calls), timeout_s=10)

    assert job.poll() is None


def test_log_interleaves_streams(start_job, tmp_path: Path) -> None:
    job, _ = start_job(
        """
        import sys, time
        print("out 1")
        time.sleep(0.2)
        print("err 1", file=sys.stderr)
        time.sleep(0.2)
        print("out 2")
        """
    )
    job.wait()

    assert read_log(job) == "out 1\nerr 1\nout 2\n"


def test_log_appends(tmp_path: Path) -> None:
    log_path = tmp_path / "job.log"
    log_path.write_text("previous run\n", encoding="utf-8")

    job = JobProcess(
        [sys.executable, "-c", "print('this run')"], None, None, log_path, Lines(), False
    )
    job.wait()

    assert log_path.read_text(encoding="utf-8") == "previous run\nthis run\n"


def test_last_line_without_newline(start_job) -> None:
    job, lines = start_job(
        """
        import sys
        sys.stdout.write("complete\\n")
        sys.stdout.write("partial")
        """
    )
    job.wait()

    assert lines.texts() == ["complete", "partial"]
    assert read_log(job) == "complete\npartial\n"


def test_carriage_return_ends_line(start_job) -> None:
    job, lines = start_job(
        """
        import sys
        sys.stdout.write("10%\\r20%\\r\\ndone\\n")
        """
    )
    job.wait()

    assert lines.texts() == ["10%", "20%", "done"]
    assert read_log(job) == "10%\r20%\r\ndone\n"


def test_crlf_split_across_reads(start_job) -> None:
    job, lines = start_job(
        """
        import sys, time
        sys.stdout.write("a\\r")
        time.sleep(0.3)
        sys.stdout.write("\\nb\\n")
        """
    )
    job.wait()

    assert lines.texts() == ["a", "b"]
    assert read_log(job) == "a\r\nb\n"


def test_splitter_joins_crlf_across_feeds() -> None:
    splitter = _LineSplitter()

    first = splitter.feed(b"a\r")
    second = splitter.feed(b"\nb\n")

    assert [(p.content, p.terminator, p.is_line) for p in first] == [(b"a", b"\r", True)]
    assert [(p.content, p.terminator, p.is_line) for p in second] == [
        (b"", b"\n", False),
        (b"b", b"\n", True),
    ]


def test_splitter_keeps_partial_line() -> None:
    splitter = _LineSplitter()

    assert splitter.feed(b"los") == []
    assert [p.content for p in splitter.feed(b"s: 1\nnext")] == [b"loss: 1"]
    assert [p.content for p in splitter.finish()] == [b"next"]


def test_splitter_caps_long_line() -> None:
    splitter = _LineSplitter()

    pieces = splitter.feed(b"x" * (2 * MAX_LINE_BYTES + 10))

    assert [len(p.content) for p in pieces] == [MAX_LINE_BYTES, MAX_LINE_BYTES]
    assert [len(p.content) for p in splitter.finish()] == [10]


def test_invalid_utf8_replaced(start_job) -> None:
    job, lines = start_job(
        """
        import sys
        sys.stdout.buffer.write(b"caf\\xe9 ok\\n\\xff\\xfe\\n")
        sys.stdout.buffer.write("精度: 0.9\\n".encode())
        """
    )

    assert job.wait() == 0
    assert lines.texts() == ["caf\ufffd ok", "\ufffd\ufffd", "精度: 0.9"]
    assert "caf\ufffd ok" in read_log(job)


def test_echo_to_stream(start_job) -> None:
    echo = io.StringIO()
    job, _ = start_job(
        """
        import sys
        print("to stdout")
        print("to stderr", file=sys.stderr)
        """,
        echo=echo,
    )
    job.wait()

    assert "to stdout\n" in echo.getvalue()
    assert "to stderr\n" in echo.getvalue()


def test_echo_true_uses_stdout(start_job, capsys: pytest.CaptureFixture[str]) -> None:
    job, _ = start_job("print('hello from the job')", echo=True)
    job.wait()

    assert "hello from the job\n" in capsys.readouterr().out


def test_no_echo_by_default(start_job, capsys: pytest.CaptureFixture[str]) -> None:
    job, _ = start_job("print('quiet')")
    job.wait()

    assert "quiet" not in capsys.readouterr().out


def test_on_line_errors_logged_once(start_job, caplog: pytest.LogCaptureFixture) -> None:
    def failing(stream: str, line: str, timestamp: float) -> None:
        raise RuntimeError(f"cannot record {line}")

    with caplog.at_level(logging.ERROR, logger=LOGGER_NAME):
        job, _ = start_job("for i in range(5): print(i)", on_line=failing)
        job.wait()

    errors = [r for r in caplog.records if r.name == LOGGER_NAME and r.levelno == logging.ERROR]
    assert job.callback_errors == 5
    assert len(errors) == 1
    assert f"pid {job.pid}" in errors[0].getMessage()
    assert read_log(job) == "0\n1\n2\n3\n4\n"


def test_child_env_unbuffered(start_job) -> None:
    job, lines = start_job(
        """
        import os
        print(os.environ["PYTHONUNBUFFERED"], os.environ["JOB_SETTING"])
        """,
        env={**parent_env(), "JOB_SETTING": "abc"},
    )
    job.wait()

    assert lines.texts() == ["1 abc"]


def test_metrics_parsed_from_job(start_job) -> None:
    parser = MetricParser(
        validate_metric_definitions([{"Name": "train:loss", "Regex": r"loss=(\S+)"}])
    )
    points = []

    def record(stream: str, line: str, timestamp: float) -> None:
        points.extend(parser.parse_line(line, timestamp))

    job, _ = start_job("for i in range(3): print(f'epoch {i} loss={1 / (i + 1):.3e}')", record)
    job.wait()

    assert [p.step for p in points] == [0, 1, 2]
    assert [p.value for p in points] == [1.0, 0.5, pytest.approx(1 / 3, rel=1e-3)]


# Start errors


@pytest.mark.parametrize("command", [[], "python train.py", [sys.executable, 3]])
def test_invalid_command(tmp_path: Path, command: object) -> None:
    with pytest.raises(ValidationError, match="Invalid command"):
        JobProcess(command, None, None, tmp_path / "job.log", Lines())  # type: ignore[arg-type]


def test_missing_program(tmp_path: Path) -> None:
    program = str(tmp_path / "no-such-program")

    with pytest.raises(FileNotFoundError) as raised:
        JobProcess([program], None, None, tmp_path / "job.log", Lines())

    assert program in str(raised.value)
    assert "Check that the program exists" in str(raised.value)


def test_missing_cwd(tmp_path: Path) -> None:
    cwd = tmp_path / "no-such-dir"
    log_path = tmp_path / "job.log"

    with pytest.raises(FileNotFoundError, match="no-such-dir"):
        JobProcess([sys.executable, "-c", "pass"], cwd, None, log_path, Lines())


# Stop


def test_stop_terminates(start_job) -> None:
    job, lines = start_job(
        """
        import time
        print("ready")
        time.sleep(60)
        """
    )
    assert wait_until(lambda: bool(lines.calls), timeout_s=10)

    started = time.monotonic()
    job.stop(grace_period_s=5.0)

    assert job.wait() == -signal.SIGTERM
    assert job.stopped is True
    assert time.monotonic() - started < 5.0


def test_stop_kills_after_grace(start_job) -> None:
    job, lines = start_job(
        """
        import signal, time
        signal.signal(signal.SIGTERM, lambda *_: print("got SIGTERM"))
        print("ready")
        while True:
            time.sleep(0.1)
        """
    )
    assert wait_until(lambda: bool(lines.calls), timeout_s=10)

    started = time.monotonic()
    job.stop(grace_period_s=1.0)

    assert job.wait() == -signal.SIGKILL
    assert time.monotonic() - started >= 1.0
    assert job.stopped is True
    assert "got SIGTERM" in lines.texts()


# The grandchild writes its pid to the inherited stdout once its SIGTERM handler is set.
GRANDCHILD_SCRIPT = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", (
    "import os, signal, time; signal.signal(signal.SIGTERM, signal.{handler}); "
    "print(os.getpid()); time.sleep(60)"
)])
time.sleep(60)
"""


@pytest.mark.parametrize(("handler", "min_stop_s"), [("SIG_DFL", 0.0), ("SIG_IGN", 1.0)])
def test_stop_kills_tree(start_job, handler: str, min_stop_s: float) -> None:
    job, lines = start_job(GRANDCHILD_SCRIPT.format(handler=handler))
    assert wait_until(lambda: bool(lines.calls), timeout_s=10)
    grandchild = process_identity(int(lines.texts()[0]))
    assert is_process_alive(grandchild["pid"], grandchild["create_time"])

    started = time.monotonic()
    job.stop(grace_period_s=1.0)
    job.wait()

    assert time.monotonic() - started >= min_stop_s

    # The grandchild was reparented, so its new parent reaps it; until then it is a zombie.
    assert wait_until(
        lambda: not is_process_alive(grandchild["pid"], grandchild["create_time"]),
        timeout_s=5,
    )


def test_stop_after_exit(start_job) -> None:
    job, _ = start_job("pass")
    job.wait()

    job.stop()

    assert job.stopped is False
    assert job.poll() == 0


def test_stop_twice(start_job) -> None:
    job, lines = start_job("import time; print('ready'); time.sleep(60)")
    assert wait_until(lambda: bool(lines.calls), timeout_s=10)

    job.stop(grace_period_s=5.0)
    job.stop(grace_period_s=5.0)

    assert job.stopped is True
    assert job.wait() == -signal.SIGTERM


def test_wait_timeout(start_job) -> None:
    job, _ = start_job("import time; time.sleep(60)")

    with pytest.raises(subprocess.TimeoutExpired):
        job.wait(timeout=0.1)


# Process identity


def test_alive_while_running(start_job) -> None:
    job, _ = start_job("import time; time.sleep(60)")

    assert is_process_alive(job.pid, job.create_time)


def test_not_alive_after_exit(start_job) -> None:
    job, _ = start_job("pass")
    pid, create_time = job.pid, job.create_time
    job.wait()

    assert not is_process_alive(pid, create_time)


def test_not_alive_with_wrong_create_time(start_job) -> None:
    job, _ = start_job("import time; time.sleep(60)")

    assert not is_process_alive(job.pid, job.create_time - 60.0)


@pytest.mark.parametrize("pid", [0, -1])
def test_not_alive_bad_pid(pid: int) -> None:
    assert not is_process_alive(pid, time.time())


def test_process_identity_matches_job(start_job) -> None:
    job, _ = start_job("import time; time.sleep(60)")

    identity = process_identity(job.pid)

    assert identity["pid"] == job.pid
    assert identity["create_time"] == pytest.approx(job.create_time, abs=1.0)


def test_process_identity_after_exit(start_job) -> None:
    job, _ = start_job("pass")
    job.wait()

    with pytest.raises(ProcessLookupError, match=f"No process with pid {job.pid}"):
        process_identity(job.pid)


# Host details


FAKE_NVIDIA_SMI = """#!/bin/sh
echo "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa1111)"
echo "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-bbbb2222)"
"""


@pytest.fixture
def fake_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put a script on PATH that prints what ``nvidia-smi -L`` prints on a 2-GPU host."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    script.write_text(FAKE_NVIDIA_SMI, encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delitem(sys.modules, "torch", raising=False)


def test_host_details_keys() -> None:
    details = host_details()

    assert details["host:name"]
    assert details["host:cpu_count"] == os.cpu_count()
    assert details["host:python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert isinstance(details["host:platform"], str)
    assert isinstance(details["host:memory_total_bytes"], int)
    assert isinstance(details["host:gpu_count"], int)


def test_host_details_no_torch_import() -> None:
    if "torch" in sys.modules:
        pytest.skip("torch is already imported")

    host_details()

    assert "torch" not in sys.modules


def test_host_details_no_gpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delitem(sys.modules, "torch", raising=False)

    details = host_details()

    assert details["host:gpu_count"] == 0
    assert "host:gpu_names" not in details


@pytest.mark.usefixtures("fake_nvidia_smi")
def test_host_details_nvidia_smi() -> None:
    details = host_details()

    assert details["host:gpu_count"] == 2
    assert details["host:gpu_names"] == "NVIDIA A100-SXM4-40GB, NVIDIA H100 80GB HBM3"


@pytest.mark.usefixtures("fake_nvidia_smi")
@pytest.mark.parametrize(
    ("visible", "names"),
    [
        ("1", ["NVIDIA H100 80GB HBM3"]),
        ("GPU-aaaa", ["NVIDIA A100-SXM4-40GB"]),
        ("1,0", ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"]),
        ("0,5,1", ["NVIDIA A100-SXM4-40GB"]),
        ("-1", []),
        ("", []),
    ],
)
def test_host_details_cuda_visible_devices(
    monkeypatch: pytest.MonkeyPatch, visible: str, names: list[str]
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)

    details = host_details()

    assert details["host:gpu_count"] == len(names)
    assert details.get("host:gpu_names", "") == ", ".join(names)
    assert details["host:cuda_visible_devices"] == visible
