"""`serve_api`: uvicorn for the trusted port (`api`, Frigate's 5000) and the authenticated
port (`auth`, 8971), each on its own thread of the main process."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import uvicorn

from roost.api.app import create_app
from roost.api.client_address import is_loopback
from roost.api.context import ApiContext

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 20.0
#: Connections kept open by idle clients (Home Assistant polls) are closed after this.
KEEPALIVE_S = 30


@dataclass
class ApiServers:
    servers: list[uvicorn.Server] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def wait_started(self, timeout: float = STARTUP_TIMEOUT_S) -> bool:
        """True once every listener accepts connections (False if one failed or timed out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.started for s in self.servers):
                return True
            if any(not t.is_alive() for t in self.threads):
                return False
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        for server in self.servers:
            server.should_exit = True
        for thread in self.threads:
            thread.join(timeout)


def _server(context: ApiContext, authenticated: bool, host: str, port: int) -> uvicorn.Server:
    # proxy_headers off: uvicorn would take X-Forwarded-For from loopback as the client;
    # roost.api.client_address reads it from `auth.trusted_proxies` only.
    config = uvicorn.Config(create_app(context, authenticated), host=host, port=port, log_config=None,
                            access_log=False, timeout_keep_alive=KEEPALIVE_S, lifespan="on", ws="websockets-sansio",
                            proxy_headers=False)
    return uvicorn.Server(config)


def serve_api(context: ApiContext, stop_event: threading.Event) -> ApiServers:
    """Start the enabled listeners in background threads and return at once; they stop when
    `stop_event` is set (or `ApiServers.stop()` is called)."""
    config = context.loaded.config
    if config.api.enabled and not is_loopback(config.api.host):
        logger.warning("the trusted port %s:%d (no login, every request acts as admin: it can delete events and "
                       "models and change the config) is open beyond this machine (api.host: %s); anyone who "
                       "reaches it controls Roost. Keep api.host: 127.0.0.1 and give Home Assistant a user on "
                       "the authenticated port %d, or allow only trusted hosts to this port.",
                       config.api.host, config.api.port, config.api.host, config.auth.port)
    running = ApiServers()
    listeners = [(False, config.api.host, config.api.port, config.api.enabled),
                 (True, config.auth.host, config.auth.port, config.auth.enabled)]
    for authenticated, host, port, enabled in listeners:
        if not enabled:
            continue
        server = _server(context, authenticated, host, port)
        name = f"api-{'auth' if authenticated else 'local'}-{port}"
        thread = threading.Thread(target=server.run, name=name, daemon=True)
        running.servers.append(server)
        running.threads.append(thread)
        thread.start()
        logger.info("HTTP API (%s) on %s:%d", "authenticated" if authenticated else "trusted, no login", host, port)

    def watch() -> None:
        stop_event.wait()
        running.stop()

    threading.Thread(target=watch, name="api-stop", daemon=True).start()
    return running
