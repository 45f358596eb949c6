"""Documentation of config keys for the JSON Schema at `/api/config/schema.json` (the web
UI's config editor shows it). Kept here, by key path, rather than on every `Field`, so the
models stay readable; `config_schema` puts each text on the property it documents. A path
that no longer exists fails the unit test, so the texts cannot silently rot."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from roost.config.root import RoostConfig

_CAMERA = "cameras.*."
#: Key path (`*` = any name or list item) → what it does. Sections shared by the globals
#: and the cameras are documented once: the schema shares their definition.
DESCRIPTIONS: dict[str, str] = {
    "logger": "Log levels: `default` for everything, `logs` per logger name.",
    "logger.default": "Level of every logger not listed in `logs` (debug, info, warning, error, critical).",
    "logger.logs": "Level per logger name, e.g. `roost.pipeline: debug`.",
    "environment_vars": "Environment variables set before the config is read; `{FRIGATE_NAME}` in any string is replaced by them.",
    "database": "Where events, recordings and users are stored.",
    "database.path": "SQLite file (default: roost.db in the media folder).",
    "database.url": "SQLAlchemy URL of a PostgreSQL database instead of SQLite.",
    "mqtt": "The MQTT broker Roost publishes events, states and stats to and takes commands from.",
    "mqtt.enabled": "Connect to the broker at all.",
    "mqtt.host": "Broker host name or address.",
    "mqtt.port": "Broker port (1883 plain, 8883 TLS).",
    "mqtt.topic_prefix": "First part of every topic (`frigate/front/person`); change it to run two NVRs on one broker.",
    "mqtt.client_id": "MQTT client id; must be unique on the broker.",
    "mqtt.user": "Broker user name.",
    "mqtt.password": "Broker password; write `{FRIGATE_MQTT_PASSWORD}` to keep it out of the file.",
    "mqtt.stats_interval": "Seconds between `stats` messages.",
    "mqtt.tls_ca_certs": "CA certificate file to verify the broker's TLS certificate.",
    "mqtt.tls_client_cert": "Client certificate file for TLS client authentication.",
    "mqtt.tls_client_key": "Key file of the client certificate.",
    "mqtt.tls_insecure": "Accept a broker certificate whose host name does not match.",
    "detectors": "Object detectors by name; Roost runs the cpu (ONNX Runtime) ones.",
    "detectors.*.type": "Detector type: cpu / onnx run in Roost; others are replaced by a cpu detector.",
    "detectors.*.device": "Device of the detector (informational for cpu detectors).",
    "detectors.*.num_threads": "Inference threads of this detector.",
    "detectors.*.model": "Model of this detector; overrides the top-level `model`.",
    "model": "The object detection model every detector uses unless it sets its own.",
    "model.path": "ONNX model file.",
    "model.labelmap_path": "Label map file (one label per line, or `id label`).",
    "model.width": "Model input width in pixels.",
    "model.height": "Model input height in pixels.",
    "model.input_tensor": "Input tensor layout: nhwc or nchw.",
    "model.input_pixel_format": "Channel order the model expects: rgb or bgr.",
    "model.input_dtype": "Input data type: int (0-255) or float.",
    "model.model_type": "Output format of the model (ssd, yolox, yolo-generic, ...).",
    "model.labelmap": "Label overrides by class id, e.g. `{0: person}`.",
    "api": "The trusted HTTP port (Frigate's 5000): no login, admin rights; keep it on loopback or a trusted network.",
    "api.enabled": "Serve the trusted port.",
    "api.host": "Address the trusted port listens on: 127.0.0.1 (the default) keeps it to this machine; "
                "0.0.0.0 opens it to the network (anyone there acts as admin).",
    "api.allowed_origins": "Other web origins (https://ha.example.com) whose pages may call the API, "
                           "use the websocket and show the UI in a frame; both ports.",
    "api.port": "Trusted port number.",
    "auth": "The authenticated HTTP port (Frigate's 8971): login required, admin and viewer roles.",
    "auth.enabled": "Serve the authenticated port.",
    "auth.host": "Address the authenticated port listens on.",
    "auth.port": "Authenticated port number.",
    "auth.reset_admin_password": "Set a new generated admin password at the next start (it is logged once).",
    "auth.cookie_name": "Name of the session cookie.",
    "auth.session_length": "Seconds a login stays valid.",
    "auth.failed_login_rate_limit": "Failed logins allowed per client, e.g. `1/second;5/minute;20/hour`.",
    "auth.trusted_proxies": "Reverse proxies (addresses or networks) whose X-Forwarded-For names the client; "
                            "from anyone else the header is ignored.",
    "ffmpeg": "How ffmpeg reads the cameras; cameras inherit it and may override keys.",
    "ffmpeg.path": "ffmpeg to run: `default` or a path (5.0/7.0 mean the system ffmpeg).",
    "ffmpeg.global_args": "Arguments before everything else (log level, ...).",
    "ffmpeg.hwaccel_args": "Hardware decoding arguments or a preset name (preset-vaapi, ...).",
    "ffmpeg.input_args": "Arguments before `-i` (RTSP transport, timeouts) or a preset name (preset-rtsp-generic).",
    "ffmpeg.output_args": "Output arguments per role.",
    "ffmpeg.output_args.detect": "Output arguments of the detect stream (raw frames).",
    "ffmpeg.output_args.record": "Output arguments of the record stream (segments, normally stream copy).",
    "ffmpeg.retry_interval": "Seconds to wait before starting ffmpeg again after it ended.",
    "ffmpeg.inputs": "The camera's streams; each has a URL and the roles it serves.",
    "ffmpeg.inputs.*.path": "Stream URL (rtsp://user:{FRIGATE_RTSP_PASSWORD}@host/stream) or a file.",
    "ffmpeg.inputs.*.roles": "What the stream is used for: detect, record (audio is ignored).",
    "ffmpeg.inputs.*.global_args": "Global ffmpeg arguments of this stream only.",
    "ffmpeg.inputs.*.hwaccel_args": "Hardware decoding arguments of this stream only.",
    "ffmpeg.inputs.*.input_args": "Input arguments of this stream only.",
    "objects": "Which objects are tracked and the filters that decide what counts as one.",
    "objects.track": "Labels to track (person, car, ...).",
    "objects.filters": "Filters per label.",
    "objects.filters.*.min_area": "Smallest box (pixels, or a 0-1 share of the frame) counted as this label.",
    "objects.filters.*.max_area": "Largest box (pixels, or a 0-1 share of the frame) counted as this label.",
    "objects.filters.*.min_ratio": "Smallest width/height ratio of the box.",
    "objects.filters.*.max_ratio": "Largest width/height ratio of the box.",
    "objects.filters.*.min_score": "Lowest score of a single detection to start tracking it.",
    "objects.filters.*.threshold": "Median score over the object's history needed to be a true positive (an event).",
    "objects.filters.*.mask": "Object mask of this label: detections whose bottom centre falls inside are dropped.",
    "objects.mask": "Object mask for every label: detections whose bottom centre falls inside are dropped.",
    "motion": "Motion detection, which decides where the detector looks.",
    "motion.enabled": "Detect motion (without it no objects are detected).",
    "motion.threshold": "Brightness change (1-255) a pixel needs to count as motion; higher is less sensitive.",
    "motion.lightning_threshold": "Share of the frame changing at once above which motion is ignored as a lighting change.",
    "motion.improve_contrast": "Equalise the picture before comparing frames (helps at night).",
    "motion.contour_area": "Smallest moving area (pixels at motion resolution) that counts; higher ignores small changes.",
    "motion.delta_alpha": "How fast the background adapts to change.",
    "motion.frame_alpha": "How fast the averaged frame follows the picture.",
    "motion.frame_height": "Height the frame is scaled to for motion detection.",
    "motion.mask": "Motion masks: polygons where changes are ignored (relative 0-1 or pixel coordinates).",
    "motion.mqtt_off_delay": "Seconds without motion before `<camera>/motion` turns OFF.",
    "detect": "The detect stream: size, rate and object tracking.",
    "detect.enabled": "Run object detection on this camera.",
    "detect.width": "Width of the detect stream (frames are scaled to it).",
    "detect.height": "Height of the detect stream.",
    "detect.fps": "Frames per second the camera is analysed at (5 is plenty).",
    "detect.max_disappeared": "Frames an object may be missed before it is considered gone.",
    "detect.stationary": "How objects that stopped moving are handled.",
    "detect.stationary.interval": "Check a stationary object with the detector every this many frames.",
    "detect.stationary.threshold": "Frames without moving after which an object is stationary.",
    "detect.stationary.max_frames": "Frames a stationary object is tracked before it is dropped.",
    "record": "Recording of the record stream to segments.",
    "record.enabled": "Record this camera.",
    "record.retain_days": "Days to keep recordings (Frigate 0.8 spelling of retain.days).",
    "record.expire_interval": "Minutes between clean-ups of expired recordings.",
    "record.retain": "How long continuous recordings are kept.",
    "record.retain.days": "Days to keep recordings.",
    "record.retain.mode": "Which segments to keep: all, motion or active_objects.",
    "record.events": "Recordings kept around events.",
    "record.events.pre_capture": "Seconds before the event to keep.",
    "record.events.post_capture": "Seconds after the event to keep.",
    "record.events.objects": "Labels whose events keep recordings.",
    "record.events.required_zones": "Events keep recordings only when the object entered one of these zones.",
    "record.events.retain": "How long event recordings are kept.",
    "snapshots": "JPEG snapshots of each event's best frame.",
    "snapshots.enabled": "Save snapshots.",
    "snapshots.clean_copy": "Also save a copy without boxes or timestamp.",
    "snapshots.timestamp": "Draw the time on the snapshot.",
    "snapshots.bounding_box": "Draw the object's box on the snapshot.",
    "snapshots.crop": "Crop the snapshot to the object.",
    "snapshots.height": "Height the snapshot is scaled to.",
    "snapshots.quality": "JPEG quality (0-100).",
    "snapshots.required_zones": "Save a snapshot only when the object entered one of these zones.",
    "snapshots.retain": "How long snapshots are kept.",
    "review": "Which events become review items, and of which severity.",
    "review.alerts": "Alerts: the important review items.",
    "review.alerts.labels": "Labels that make an alert.",
    "review.alerts.required_zones": "An alert only when the object is in one of these zones.",
    "review.detections": "Detections: the other review items.",
    "review.detections.labels": "Labels that make a detection (all when empty).",
    "review.detections.required_zones": "A detection only when the object is in one of these zones.",
    "live": "The live view.",
    "live.height": "Height of the live picture.",
    "live.quality": "JPEG quality of the live picture (1-31, lower is better, as ffmpeg's qscale).",
    "classification": "Classification of objects and of camera states.",
    "classification.custom": "Custom models by name, trained in Roost from examples.",
    "classification.custom.*.enabled": "Run this model.",
    "classification.custom.*.threshold": "Lowest score to accept the model's answer.",
    "classification.custom.*.state_config": "A state model: classifies a cropped part of the camera's picture.",
    "classification.custom.*.object_config": "An object model: classifies tracked objects (sub label or attribute).",
    "cameras": "The cameras by name (letters, digits, _ and -).",
    _CAMERA + "enabled": "Run this camera (capture, detection and recording).",
    _CAMERA + "ffmpeg": "How ffmpeg reads this camera; overrides the top-level `ffmpeg`.",
    _CAMERA + "zones": "Zones by name: polygons objects enter and leave (events carry the zones).",
    _CAMERA + "zones.*.coordinates": "The zone's polygon: `x1,y1,x2,y2,...` relative 0-1 (as Frigate's UI writes) or pixels.",
    _CAMERA + "zones.*.filters": "Filters per label for being in this zone.",
    _CAMERA + "zones.*.objects": "Labels that can be in this zone (all when empty).",
    _CAMERA + "zones.*.inertia": "Consecutive frames an object must be inside before it is in the zone.",
    _CAMERA + "zones.*.loitering_time": "Seconds an object must stay in the zone before it counts (0: at once).",
    _CAMERA + "mask": "Motion mask (Frigate 0.8 spelling of motion.mask).",
    _CAMERA + "width": "Detect width (Frigate 0.8 spelling of detect.width).",
    _CAMERA + "height": "Detect height (Frigate 0.8 spelling of detect.height).",
    _CAMERA + "fps": "Detect fps (Frigate 0.8 spelling of detect.fps).",
    _CAMERA + "best_image_timeout": "Seconds a better snapshot may replace the event's best one.",
    _CAMERA + "objects": "This camera's object tracking; overrides the top-level `objects`.",
    _CAMERA + "motion": "This camera's motion detection; overrides the top-level `motion`.",
    _CAMERA + "detect": "This camera's detect stream; overrides the top-level `detect`.",
    _CAMERA + "record": "This camera's recording; overrides the top-level `record`.",
    _CAMERA + "snapshots": "This camera's snapshots; overrides the top-level `snapshots`.",
    _CAMERA + "review": "This camera's review rules; overrides the top-level `review`.",
    _CAMERA + "onvif": "ONVIF connection for PTZ control.",
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`, and `anyOf` of an optional model, to the node with properties."""
    for _ in range(8):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        alternatives = [a for a in node.get("anyOf", []) if "$ref" in a or "properties" in a
                        or "additionalProperties" in a or "items" in a]
        if "properties" not in node and alternatives:
            node = alternatives[0]
            continue
        break
    return node


def _property(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The schema node of the property at `path`, or None when the path does not exist."""
    node: dict[str, Any] = schema
    target: dict[str, Any] | None = None
    for part in path.split("."):
        node = _resolve(schema, target if target is not None else node)
        if part == "*":
            child = node.get("additionalProperties") or node.get("items")
            if not isinstance(child, dict):
                return None
            target = child
        else:
            properties = node.get("properties", {})
            if part not in properties:
                return None
            target = properties[part]
    return target


def missing_paths() -> list[str]:
    """Documented paths the models no longer have (the unit test wants none)."""
    schema = RoostConfig.model_json_schema()
    return [path for path in DESCRIPTIONS if _property(schema, path) is None]


@cache
def _schema() -> dict[str, Any]:
    schema = RoostConfig.model_json_schema()
    for path, text in DESCRIPTIONS.items():
        node = _property(schema, path)
        if node is not None:
            node["description"] = text
    schema["title"] = "Roost config"
    return schema


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, key documentation included."""
    return copy.deepcopy(_schema())
