"""Process-wide sections: `logger`, `database`, `mqtt`, `detectors`, `model`, `api`, `auth`."""

from __future__ import annotations

import ipaddress
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from roost.config.base import RoostModel

LogLevel = Literal["debug", "info", "warning", "error", "critical"]


class LoggerConfig(RoostModel):
    default: LogLevel = "info"
    logs: dict[str, LogLevel] = Field(default_factory=dict)


class DatabaseConfig(RoostModel):
    """SQLite file at `path` (default `<media dir>/roost.db`), or any SQLAlchemy `url`
    (e.g. `postgresql+psycopg://user:pass@host/roost` for several nodes sharing one DB)."""

    path: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> "DatabaseConfig":
        if self.path and self.url:
            raise ValueError("set either database.path (SQLite file) or database.url, not both")
        return self


class MqttConfig(RoostModel):
    """MQTT is on when a `host` is configured (or `enabled: true`, which then needs a host)."""

    enabled: bool | None = None
    host: str | None = None
    port: int = Field(default=1883, ge=1, le=65535)
    topic_prefix: str = Field(default="frigate", pattern=r"^[^#+\s]+$")
    client_id: str = "frigate"
    user: str | None = None
    password: str | None = None
    stats_interval: int = Field(default=60, ge=15)
    tls_ca_certs: str | None = None
    tls_client_cert: str | None = None
    tls_client_key: str | None = None
    tls_insecure: bool | None = None
    qos: int | None = Field(default=None, ge=0, le=2)  # None: Roost's QoS 1 for every message

    @model_validator(mode="after")
    def _host_when_enabled(self) -> "MqttConfig":
        if self.enabled and not self.host:
            raise ValueError("mqtt is enabled but mqtt.host is not set")
        if self.password and not self.user:
            raise ValueError("mqtt.password is set without mqtt.user")
        return self

    @property
    def active(self) -> bool:
        return bool(self.host) if self.enabled is None else self.enabled


ModelType = Literal["ssd", "yolox", "yolo-generic", "yolov3", "yolonas", "rfdetr", "dfine"]


#: Frigate's default `model.attributes_map`: which attribute labels (detections that
#: describe an object rather than being one) may attach to which object labels.
DEFAULT_ATTRIBUTES_MAP: dict[str, list[str]] = {
    "person": ["amazon", "face"],
    "car": ["amazon", "fedex", "license_plate", "ups"],
    "motorcycle": ["license_plate"],
}
#: The attributes that are not logos (Frigate's fixed `model.non_logo_attributes`).
NON_LOGO_ATTRIBUTES = ("face", "license_plate")


class ModelConfig(RoostModel):
    """Frigate's `model:` section. With no `path`, the default YOLOv3-tiny converted at
    setup is used (then `model_type` defaults to `yolov3`)."""

    path: str | None = None
    labelmap_path: str | None = None
    width: int = Field(default=320, ge=32, le=2048)
    height: int = Field(default=320, ge=32, le=2048)
    input_tensor: Literal["nhwc", "nchw"] = "nhwc"
    input_pixel_format: Literal["rgb", "bgr", "yuv"] = "rgb"
    input_dtype: Literal["int", "float", "float_denorm"] = "int"
    model_type: ModelType | None = None
    labelmap: dict[int, str] = Field(default_factory=dict)
    #: Attribute labels per object label (`roost.track.attributes`); replaces the default.
    attributes_map: dict[str, list[str]] = Field(default_factory=lambda: {
        label: list(names) for label, names in DEFAULT_ATTRIBUTES_MAP.items()})

    @property
    def all_attributes(self) -> list[str]:
        """Every attribute label of `attributes_map`, sorted (Frigate's `all_attributes`)."""
        return sorted({name for names in self.attributes_map.values() for name in names})

    @property
    def non_logo_attributes(self) -> list[str]:
        return list(NON_LOGO_ATTRIBUTES)

    @property
    def model_type_resolved(self) -> str:
        if self.model_type is not None:
            return self.model_type
        return "yolov3" if self.path is None else "ssd"


#: Detector types Frigate users may have in their config. Those Roost can run are in
#: RUNNABLE_DETECTOR_TYPES; the others validate and are reported clearly at start.
KNOWN_DETECTOR_TYPES = (
    "cpu", "onnx", "openvino", "edgetpu", "tensorrt", "rknn", "hailo8l", "rocm",
    "deepstack", "memryx", "degirum", "zmq",
)
RUNNABLE_DETECTOR_TYPES = ("cpu", "onnx", "openvino")


class DetectorConfig(RoostModel):
    type: Literal[
        "cpu", "onnx", "openvino", "edgetpu", "tensorrt", "rknn", "hailo8l", "rocm",
        "deepstack", "memryx", "degirum", "zmq",
    ] = "cpu"
    device: str | None = None
    num_threads: int = Field(default=1, ge=1, le=64)
    model: ModelConfig | None = None

    @property
    def runnable(self) -> bool:
        return self.type in RUNNABLE_DETECTOR_TYPES


def _valid_network(value: str) -> str:
    """An address (`10.0.0.5`, `::1`) or a network (`172.16.0.0/12`) as `ipaddress` reads it."""
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or network (e.g. 172.18.0.2 or 172.16.0.0/12)") from None
    return value.strip()


def _valid_origin(value: str) -> str:
    """`scheme://host[:port]` exactly as a browser sends it in `Origin`."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not an origin like https://ha.example.com or http://10.0.0.5:8123")
    return f"{parts.scheme}://{parts.netloc}".lower()


Network = Annotated[str, AfterValidator(_valid_network)]
Origin = Annotated[str, AfterValidator(_valid_origin)]


class ApiConfig(RoostModel):
    """Roost's unauthenticated listener for trusted local clients (Frigate's port 5000).

    It answers every request as an admin, so it listens on loopback unless `host` widens
    it (Frigate can leave it open inside a Docker network; a pip install cannot).
    `allowed_origins` (both listeners) are other web origins whose pages may call the API
    and the websocket, and embed the UI in a frame (e.g. a Home Assistant dashboard)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=1, le=65535)
    allowed_origins: list[Origin] = Field(default_factory=list)


class AuthConfig(RoostModel):
    """The authenticated listener for people (Frigate's port 8971)."""

    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(default=8971, ge=1, le=65535)
    reset_admin_password: bool = False
    cookie_name: str = Field(default="frigate_token", pattern=r"^[A-Za-z0-9_-]+$")
    session_length: int = Field(default=86400, ge=60)
    failed_login_rate_limit: str | None = "1/second;5/minute;20/hour"
    cookie_secure: bool = False
    refresh_time: int = Field(default=43200, ge=0)
    trusted_proxies: list[Network] = Field(default_factory=list)
    hash_iterations: int = Field(default=600000, ge=1)
    roles: dict[str, list[str]] = Field(default_factory=dict)

    ignored_keys: ClassVar[dict[str, str]] = {
        "cookie_secure": "Roost sets the session cookie without the Secure flag (no TLS of its own)",
        "refresh_time": "Roost sessions last session_length and are not refreshed",
        "hash_iterations": "Roost hashes passwords with argon2, which has no iteration count",
        "roles": "Roost has the admin and viewer roles only",
    }
