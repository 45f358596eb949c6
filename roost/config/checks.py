"""Checks that need more than one key: roles, frame sizes, zone and crop geometry, labels.

They run on the validated, inherited config and return every problem with its key path.
"""

from __future__ import annotations

import re

from roost.config.base import Point, is_relative
from roost.config.camera import CameraConfig
from roost.config.errors import ConfigIssue
from roost.config.ffmpeg import Role, lacks_segment_muxer
from roost.config.root import RoostConfig

CAMERA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def cross_checks(config: RoostConfig) -> tuple[list[ConfigIssue], list[ConfigIssue]]:
    """(errors, warnings). Zones and masks reaching outside the frame are warnings: Frigate
    accepted them (its own full example has some) and they are clipped when drawn."""
    issues: list[ConfigIssue] = []
    warnings: list[ConfigIssue] = []
    for name, camera in config.cameras.items():
        issues += _camera_checks(name, camera, set(config.cameras), warnings)
    issues += _classification_checks(config)
    return issues, warnings


def _camera_checks(name: str, camera: CameraConfig, camera_names: set[str],
                   warnings: list[ConfigIssue]) -> list[ConfigIssue]:
    base = f"cameras.{name}"
    issues: list[ConfigIssue] = []
    if not CAMERA_NAME.match(name):
        issues.append(ConfigIssue(base, "camera names may only use letters, digits, '_' and '-'", name))
    inputs = camera.ffmpeg.inputs
    if not inputs:
        issues.append(ConfigIssue(f"{base}.ffmpeg.inputs", "at least one input with the detect role is required"))
    seen: dict[str, int] = {}
    for index, stream in enumerate(inputs):
        for role in stream.roles:
            if role in seen:
                issues.append(ConfigIssue(
                    f"{base}.ffmpeg.inputs.{index}.roles",
                    f"role '{role}' is already assigned to input {seen[role]}; each role may be used once", role))
            seen[role] = index
    if inputs and "detect" not in seen:
        issues.append(ConfigIssue(f"{base}.ffmpeg.inputs", "no input has the detect role; exactly one must"))
    record_role: Role | None = "record" if "record" in seen else "clips" if "clips" in seen else None
    if record_role is not None:
        args = camera.ffmpeg.record_output_args(record_role)
        if lacks_segment_muxer(args):
            issues.append(ConfigIssue(f"{base}.ffmpeg.output_args.{record_role}",
                                      "expected '-f segment' (recordings are written as segments)", " ".join(args)))
    if camera.detect.width is None or camera.detect.height is None:
        return issues  # probed at start (roost.config.detect_size); geometry is checked then
    width, height = camera.detect.width, camera.detect.height
    for z_name, zone in camera.zones.items():
        if z_name in camera_names:
            issues.append(ConfigIssue(f"{base}.zones.{z_name}", "a zone cannot have the same name as a camera", z_name))
        zone.coordinates = _to_pixels(zone.coordinates, width, height)
        warnings += _inside_frame(f"{base}.zones.{z_name}.coordinates", zone.coordinates, width, height)
        for label in [*zone.filters, *zone.objects]:
            if label not in camera.objects.track:
                issues.append(ConfigIssue(f"{base}.zones.{z_name}",
                                          f"label '{label}' is not in this camera's objects.track {camera.objects.track}", label))
    for path, masks in ((f"{base}.motion.mask", camera.motion.mask), (f"{base}.objects.mask", camera.objects.mask)):
        for index, polygon in enumerate(masks):
            masks[index] = _to_pixels(polygon, width, height)
            warnings += _inside_frame(f"{path}.{index}", masks[index], width, height)
    for label, flt in camera.objects.filters.items():
        for index, polygon in enumerate(flt.mask):
            flt.mask[index] = _to_pixels(polygon, width, height)
            warnings += _inside_frame(f"{base}.objects.filters.{label}.mask.{index}", flt.mask[index], width, height)
    zone_names = set(camera.zones)
    for path, zones in (
        (f"{base}.snapshots.required_zones", camera.snapshots.required_zones),
        (f"{base}.record.events.required_zones", camera.record.events.required_zones),
        (f"{base}.review.alerts.required_zones", camera.review.alerts.required_zones),
        (f"{base}.review.detections.required_zones", camera.review.detections.required_zones),
    ):
        for zone_name in zones:
            if zone_name not in zone_names:
                issues.append(ConfigIssue(path, f"zone '{zone_name}' is not defined for this camera", zone_name))
    for path, labels in (
        (f"{base}.record.events.objects", camera.record.events.objects),
        (f"{base}.save_clips.objects", camera.save_clips.objects),
    ):
        for label in labels or []:
            if label not in camera.objects.track:
                issues.append(ConfigIssue(path, f"label '{label}' is not tracked by this camera {camera.objects.track}", label))
    return issues


def _to_pixels(points: list[Point], width: int, height: int) -> list[Point]:
    """Relative (0–1) polygons become detect-resolution pixels; pixel ones stay."""
    if is_relative(points):
        return [(round(x * width), round(y * height)) for x, y in points]
    return points


def _inside_frame(path: str, points: list[Point], width: int, height: int) -> list[ConfigIssue]:
    outside = [p for p in points if p[0] > width or p[1] > height]
    if outside:
        return [ConfigIssue(path, f"points lie outside the {width}x{height} detect frame", outside[:3])]
    return []


def _classification_checks(config: RoostConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    tracked = config.tracked_labels()
    for model_name, model in config.classification.custom.items():
        base = f"classification.custom.{model_name}"
        if model.state_config is not None:
            for cam_name, cam in model.state_config.cameras.items():
                path = f"{base}.state_config.cameras.{cam_name}"
                camera = config.cameras.get(cam_name)
                if camera is None:
                    issues.append(ConfigIssue(path, f"camera '{cam_name}' is not defined; cameras are {sorted(config.cameras)}", cam_name))
                    continue
                if camera.detect.width is None or camera.detect.height is None:
                    continue
                x1, y1, x2, y2 = cam.crop
                if not cam.is_normalized and (x2 > camera.detect.width or y2 > camera.detect.height):
                    issues.append(ConfigIssue(
                        f"{path}.crop",
                        f"crop lies outside the {camera.detect.width}x{camera.detect.height} detect frame "
                        "(use pixels of the detect resolution, or values 0-1)", list(cam.crop)))
                elif cam.is_normalized and x2 <= 1 and y2 <= 1:
                    px = cam.crop_pixels(camera.detect.width, camera.detect.height)
                    if px[2] - px[0] < 2 or px[3] - px[1] < 2:
                        issues.append(ConfigIssue(f"{path}.crop", "crop is smaller than 2x2 pixels", list(cam.crop)))
        if model.object_config is not None:
            for label in model.object_config.objects:
                if label not in tracked:
                    issues.append(ConfigIssue(f"{base}.object_config.objects",
                                              f"label '{label}' is not tracked by any camera (objects.track)", label))
    return issues
