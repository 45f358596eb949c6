"""Everything `serve` checks before it starts anything, in one function that
`check-config` calls too: a config `check-config` accepts is one `serve` starts on.

Beyond validation (`resolve_config`): detect sizes filled in (probed) and the geometry
checks that need them, model and label files that exist, and a media directory Roost can
write. Busy ports are only a warning here (they change while nothing is edited); `serve`
still refuses to start on one, saying which.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from roost.config.checks import cross_checks
from roost.config.detect_size import Prober, fill_detect_sizes, probe_detect_size
from roost.config.errors import ConfigError, ConfigIssue
from roost.config.loading import LoadedConfig
from roost.config.root import RoostConfig
from roost.config.source import config_origin, resolve_config


def startup_config(explicit: Path | None, media_dir: Path, probe: Prober = probe_detect_size) -> LoadedConfig:
    """The config `serve` runs on, with every start-time check done; raises ConfigError
    with all problems at once. Warnings land in `loaded.warnings`."""
    loaded = resolve_config(explicit, media_dir)
    config = loaded.config
    errors, size_warnings = resolve_detect_sizes(config, probe)
    warnings = list(loaded.warnings) + size_warnings
    errors += model_file_issues(config) + media_dir_issues(media_dir, config)
    if errors:
        raise ConfigError(errors, config_origin(loaded))
    loaded.warnings = warnings + port_warnings(config)
    return loaded


def resolve_detect_sizes(config: RoostConfig, probe: Prober = probe_detect_size
                         ) -> tuple[list[ConfigIssue], list[ConfigIssue]]:
    """Fill in the detect size of cameras without one, then make the geometry checks that
    needed it (relative zones and masks become pixels). (errors, warnings) about those
    cameras only; cameras are changed in place."""
    unsized = {n for n, c in config.cameras.items() if c.detect.width is None or c.detect.height is None}
    if not unsized:
        return [], []
    warnings = fill_detect_sizes({n: config.cameras[n] for n in unsized}, probe)
    more_errors, more_warnings = cross_checks(config)
    return ([i for i in more_errors if _about(i, unsized)],
            warnings + [w for w in more_warnings if _about(w, unsized)])


def _about(issue: ConfigIssue, cameras: set[str]) -> bool:
    parts = issue.path.split(".")
    return (len(parts) > 1 and parts[0] == "cameras" and parts[1] in cameras) or \
        (parts[0] == "classification" and len(parts) > 5 and parts[5] in cameras)


def model_file_issues(config: RoostConfig) -> list[ConfigIssue]:
    """`model.path`/`labelmap_path` (also per detector) must name existing files: a missing
    one would leave the detector process failing over and over after a clean start."""
    issues: list[ConfigIssue] = []
    models = [("model", config.model), *((f"detectors.{n}.model", d.model) for n, d in config.detectors.items()
                                         if d.model is not None)]
    for where, model in models:
        for key in ("path", "labelmap_path"):
            value = getattr(model, key)
            if value and not Path(value).is_file():
                issues.append(ConfigIssue(f"{where}.{key}", "file does not exist", value))
    return issues


def media_dir_issues(media_dir: Path, config: RoostConfig) -> list[ConfigIssue]:
    """The media dir (and the SQLite file's folder) must be creatable and writable."""
    issues: list[ConfigIssue] = []
    places = [("--media-dir / ROOST_MEDIA_DIR", media_dir)]
    if config.database.path and not config.database.url:
        places.append(("database.path", Path(config.database.path).parent))
    for where, folder in places:
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
            issues.append(ConfigIssue(where, f"cannot create or write {folder} ({probe} is not a writable folder)",
                                      str(folder)))
    return issues


def port_warnings(config: RoostConfig) -> list[ConfigIssue]:
    """Ports another program listens on right now (serve would refuse to start)."""
    warnings: list[ConfigIssue] = []
    for key, listener in (("api", config.api), ("auth", config.auth)):
        if not listener.enabled:
            continue
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((listener.host, listener.port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    warnings.append(ConfigIssue(f"{key}.port", "is in use by another program now; "
                                                "serve refuses to start while it is", listener.port))
    return warnings
