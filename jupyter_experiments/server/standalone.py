"""``jupyter experiments server``: a Jupyter server that runs only the tracking API.

It serves ``{base_url}experiments/api/`` and nothing a notebook user needs: no Lab, no
kernel, terminal or file routes, and no other server extension, whatever the Jupyter config
directories enable. Remote SDKs and training jobs log into it through
``JUPYTER_EXPERIMENTS_TRACKING_URI``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Sequence
from typing import Any

from jupyter_server.serverapp import ServerApp
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from traitlets.config import Config

from ..remote import TOKEN_ENV, TRACKING_URI_ENV

log = logging.getLogger("jupyter_experiments.server")

#: The server extension that this server runs, and nothing else.
EXTENSION = "jupyter_experiments.server"


#: Seconds between a stop signal and a forced exit, if the server's clean-up has not ended.
STOP_GRACE_PERIOD_S = 10.0


class NoFilesContentsManager(AsyncLargeFileManager):
    """A contents manager that adds no ``/files/`` route, so no local file can be downloaded.

    jupyter_server requests extra routes from the contents manager, and the file-based managers add
    one that serves any file under the server's root directory; a tracking server has none to
    serve.
    """

    def get_extra_handlers(self) -> list[Any]:
        return []


class TrackingServerApp(ServerApp):
    """A ServerApp with this package's extension and the API, login and shutdown routes only."""

    name = "jupyter-experiments-server"
    description = "Serve the jupyter-experiments tracking API without JupyterLab or kernels."
    default_services = ("api", "auth", "security", "shutdown")  # type: ignore[assignment]

    def find_server_extensions(self) -> None:
        # The extensions that the Jupyter config directories enable (JupyterLab, terminals...)
        # are skipped: only the one given in the config runs.
        return

    def _signal_stop(self, sig: Any, frame: Any) -> None:
        super()._signal_stop(sig, frame)

        # NOTE: once in a loaded test run, jupyter_server's clean-up after SIGTERM never ended
        # and the server stopped serving requests without exiting; the cause was not found. Every
        # write is a database transaction, so exiting without the clean-up loses nothing.
        watchdog = threading.Timer(STOP_GRACE_PERIOD_S, self._exit_now, args=(sig,))
        watchdog.daemon = True
        watchdog.start()

    def _exit_now(self, sig: Any) -> None:
        log.warning(
            "The tracking server did not stop within %.0f s of signal %s; exiting now",
            STOP_GRACE_PERIOD_S,
            sig,
        )
        logging.shutdown()
        os._exit(0)


def server_config(
    *, ip: str, port: int, token: str, db_url: str | None, artifact_root: str | None
) -> Config:
    """Return the config of a tracking server: one extension, a token, no browser."""
    extension: dict[str, Any] = {}
    if db_url:
        extension["db_url"] = db_url
    if artifact_root and "://" not in artifact_root:
        extension["artifact_root"] = os.path.abspath(os.path.expanduser(artifact_root))
    return Config(
        {
            "ServerApp": {
                "ip": ip,
                "port": port,
                "port_retries": 0,
                "open_browser": False,
                # No kernel or terminal runs in this server, which is what the root check of
                # jupyter_server protects; containers often run as root.
                "allow_root": True,
                "jpserver_extensions": {EXTENSION: True},
                "contents_manager_class": NoFilesContentsManager,
                "reraise_server_extension_failures": True,
            },
            "IdentityProvider": {"token": token},
            "JupyterExperiments": extension,
        }
    )


def run_server(
    *,
    ip: str,
    port: int,
    db_url: str | None = None,
    artifact_root: str | None = None,
    argv: Sequence[str] = (),
) -> int:
    """Run the tracking server until it is stopped; return its exit code.

    The token is ``JUPYTER_EXPERIMENTS_TOKEN`` if set, else a random one printed at start.
    """
    token = os.environ.get(TOKEN_ENV) or ""
    generated = not token
    if generated:
        token = secrets.token_hex(24)

    # This process is the tracking server, so it must open the database rather than send its
    # own writes to a tracking URI that the environment may name.
    os.environ.pop(TRACKING_URI_ENV, None)
    if artifact_root:
        os.environ["JUPYTER_EXPERIMENTS_ARTIFACT_ROOT"] = artifact_root

    app = TrackingServerApp.instance(
        config=server_config(
            ip=ip, port=port, token=token, db_url=db_url, artifact_root=artifact_root
        )
    )
    app.initialize(argv=list(argv))
    url = f"http://{ip}:{app.port}{app.base_url}"
    print(f"Tracking server at {url} (API at {url}experiments/api/)", flush=True)
    if generated:
        print(
            f"Token: {token}\nSet {TRACKING_URI_ENV}={url} and {TOKEN_ENV}=<token> where the "
            "SDK and jobs run.",
            flush=True,
        )
    log.info("Starting the tracking server on %s:%d", ip, app.port)
    app.start()
    log.info("Tracking server on %s:%d stopped", ip, app.port)
    return 0
