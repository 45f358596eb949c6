"""What `serve` tells the person who started it, right after "Roost started": the URL to
open and, on the first start (or after `auth.reset_admin_password`), the admin password,
which would otherwise scroll away among the setup and start-up lines."""

from __future__ import annotations

from roost.api.client_address import is_loopback
from roost.config.root import RoostConfig

#: Hosts that mean "every interface"; the URL shown uses localhost for them.
ANY_HOST = ("0.0.0.0", "::", "")


def _url(host: str, port: int) -> str:
    shown = "localhost" if host in ANY_HOST else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/"


def start_banner(config: RoostConfig, admin_password: str | None) -> list[str]:
    """The lines to log, in order (pure)."""
    lines: list[str] = []
    if config.auth.enabled:
        lines.append(f"Open {_url(config.auth.host, config.auth.port)} in a browser (log in as admin)")
    if admin_password is not None:
        lines.append(f"Admin login: user 'admin', password '{admin_password}' (shown only now; change it "
                     "after logging in; auth.reset_admin_password: true makes a new one at the next start)")
    if config.api.enabled and is_loopback(config.api.host):
        lines.append(f"Trusted clients on this machine (no login): {_url(config.api.host, config.api.port)}; "
                     f"Home Assistant elsewhere: port {config.auth.port} with a user (README, Security)")
    elif config.api.enabled:
        lines.append(f"Home Assistant / trusted clients (no login): {_url(config.api.host, config.api.port)}")
    return lines
