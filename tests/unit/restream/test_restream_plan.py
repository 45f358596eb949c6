"""What the restream serves and which inputs read from it, from the config."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from roost.config import validate_raw
from roost.restream.fmp4 import box_size, codecs_string
from roost.restream.plan import (
    RESTREAM_INPUT_ARGS, listen_address, reading_from_restream, restream_plan, with_restreamed_streams,
)


def config(cameras: dict[str, Any], **top: Any) -> Any:
    raw = {"mqtt": {"enabled": False}, "cameras": {
        name: {"ffmpeg": {"inputs": inputs}, "detect": {"width": 640, "height": 360}}
        for name, inputs in cameras.items()}, **top}
    return validate_raw(raw).config


def test_each_camera_is_one_stream_named_after_it_and_its_inputs_read_the_restream() -> None:
    cfg = config({"front": [{"path": "rtsp://u:p@10.0.0.9/main", "roles": ["detect", "record"]}],
                  "back": [{"path": "rtsp://10.0.0.8/hd", "roles": ["record"]},
                           {"path": "rtsp://10.0.0.8/sd", "roles": ["detect"]}]})
    plan = restream_plan(cfg)
    assert plan is not None and plan.port == 8554
    assert {s.name: s.url for s in plan.streams} == {
        "front": "rtsp://u:p@10.0.0.9/main", "back": "rtsp://10.0.0.8/hd", "back_sub": "rtsp://10.0.0.8/sd"}
    assert plan.rewrites == {("front", 0): "front", ("back", 0): "back", ("back", 1): "back_sub"}
    assert plan.camera_stream("back") == "back"
    run = reading_from_restream(cfg, plan)
    assert run.cameras["back"].ffmpeg.inputs[1].path == "rtsp://127.0.0.1:8554/back_sub"
    assert run.cameras["back"].ffmpeg.inputs[1].input_args == RESTREAM_INPUT_ARGS
    assert cfg.cameras["back"].ffmpeg.inputs[1].path == "rtsp://10.0.0.8/sd"  # the user's config is untouched


def test_go2rtc_streams_are_served_and_the_preset_restream_pattern_is_left_alone() -> None:
    cfg = config({"front": [{"path": "rtsp://127.0.0.1:8554/front_main", "roles": ["detect", "record"]}]},
                 go2rtc={"streams": {"front_main": ["rtsp://cam/1", "ffmpeg:rtsp://cam/1#audio=opus"],
                                     "garage": "ffmpeg:http://cam2/video.mjpg#video=h264",
                                     "doorbell": "homekit://x"}})
    plan = restream_plan(cfg)
    assert plan is not None
    assert [(s.name, s.kind, s.url) for s in plan.streams] == [
        ("front_main", "rtsp", "rtsp://cam/1"), ("garage", "ffmpeg", "http://cam2/video.mjpg")]
    assert plan.rewrites == {}
    assert plan.camera_stream("front") == "front_main"
    assert len(plan.skipped) == 1 and "go2rtc.streams.doorbell" in plan.skipped[0]


def test_files_are_not_restreamed_and_a_camera_sharing_a_go2rtc_url_reuses_its_stream() -> None:
    cfg = config({"file": [{"path": "/videos/a.mp4", "roles": ["detect"]}],
                  "yard": [{"path": "rtsp://cam/1", "roles": ["detect"]}]},
                 go2rtc={"streams": {"yard_hd": "rtsp://cam/1"}})
    plan = restream_plan(cfg)
    assert plan is not None
    assert [s.name for s in plan.streams] == ["yard_hd"]
    assert plan.rewrites == {("yard", 0): "yard_hd"}


@pytest.mark.parametrize(("listen", "expected"), [
    (None, ("0.0.0.0", 8554)), (":9554", ("0.0.0.0", 9554)), ("127.0.0.1:8555", ("127.0.0.1", 8555)), ("", None)])
def test_listen_address_reads_go2rtc_rtsp_listen(listen: str | None, expected: Any) -> None:
    top = {} if listen is None else {"go2rtc": {"rtsp": {"listen": listen}}}
    cfg = config({"a": [{"path": "rtsp://cam/1", "roles": ["detect"]}]}, **top)
    assert listen_address(cfg) == expected
    assert (restream_plan(cfg) is None) == (expected is None)


def test_bad_listen_value_names_the_key() -> None:
    cfg = config({"a": [{"path": "rtsp://cam/1", "roles": ["detect"]}]}, go2rtc={"rtsp": {"listen": "nope"}})
    with pytest.raises(ValueError, match="go2rtc.rtsp.listen"):
        listen_address(cfg)


def test_api_config_lists_restreamed_cameras_in_go2rtc_streams_without_credentials() -> None:
    cfg = config({"front": [{"path": "rtsp://admin:hunter2@10.0.0.9/main", "roles": ["detect"]}]})
    effective = with_restreamed_streams({"go2rtc": {"streams": {}}}, cfg)
    assert effective["go2rtc"]["streams"] == {"front": ["rtsp://*:*@10.0.0.9/main"]}


def test_codecs_string_is_read_from_a_real_fragmented_mp4(tmp_path: Path) -> None:
    target = tmp_path / "f.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "1",
                    "-c:v", "libx264", "-profile:v", "high", "-level", "3.1", "-pix_fmt", "yuv420p",
                    "-movflags", "empty_moov+default_base_moof+frag_every_frame", str(target)], check=True)
    data = target.read_bytes()
    assert codecs_string(data) == "avc1.64001f"  # High profile (0x64), level 3.1 (0x1f)
    kinds = []
    at = 0
    while at < len(data):
        size, kind, _ = box_size(data[at:at + 16])
        kinds.append(kind)
        at += size
    assert kinds[:2] == [b"ftyp", b"moov"] and kinds.count(b"moof") == 10


def test_box_size_refuses_a_box_smaller_than_its_header() -> None:
    with pytest.raises(ValueError, match="invalid size"):
        box_size(b"\x00\x00\x00\x04moof")
