"""The effective config as `/api/config` serves it: defaults filled in, secrets masked,
and the keys Home Assistant's integration reads present even where Roost has no feature."""

from __future__ import annotations

import re
from typing import Any

from roost import FRIGATE_STYLE_VERSION
from roost.config.loading import LoadedConfig

MASK = "********"
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<password>[^@/\s]+)@")
SECRET_KEYS = {"password", "user_password", "secret", "token", "api_key"}


def mask_secrets(node: Any, secrets: set[str]) -> Any:
    """Mask password-like keys, env-substituted values and credentials inside URLs."""
    if isinstance(node, dict):
        return {k: (MASK if k in SECRET_KEYS and v not in (None, "") else mask_secrets(v, secrets))
                for k, v in node.items()}
    if isinstance(node, list):
        return [mask_secrets(v, secrets) for v in node]
    if isinstance(node, str):
        masked = URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}*:*@", node)
        for secret in sorted((s for s in secrets if s), key=len, reverse=True):
            masked = masked.replace(secret, MASK)
        return masked
    return node


def effective_config(loaded: LoadedConfig) -> dict[str, Any]:
    config = loaded.config
    data: dict[str, Any] = mask_secrets(config.model_dump(mode="json"), loaded.secrets)
    data["version"] = FRIGATE_STYLE_VERSION
    # Which config is in use: its file, or the built-in demo (Roost's addition).
    data["config_file"] = str(loaded.source) if loaded.source is not None else "built-in demo"
    data["model"]["non_logo_attributes"] = config.model.non_logo_attributes
    data["model"]["all_attributes"] = config.model.all_attributes
    data["model"]["model_type"] = config.model.model_type_resolved
    for name, camera in config.cameras.items():
        cam = data["cameras"][name]
        cam["name"] = name
        cam["audio"]["enabled_in_config"] = camera.audio.enabled
        cam["onvif"]["autotracking"]["enabled_in_config"] = camera.onvif.autotracking.enabled
        cam["record"]["enabled_in_config"] = camera.record.enabled
        cam["detect"]["max_disappeared"] = camera.detect.frames_until_gone
    data["mqtt"]["enabled"] = config.mqtt.active
    return data
