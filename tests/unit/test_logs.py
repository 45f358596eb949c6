"""`logger.default` and `logger.logs.<module>` apply per module; Frigate names map to Roost's."""

from __future__ import annotations

import logging

import pytest

from roost.config.services import LoggerConfig
from roost.logs import configure_logging, roost_logger_name


@pytest.mark.parametrize(("frigate", "roost"), [
    ("frigate.mqtt", "roost.publish"),
    ("frigate.data_processing.real_time.custom_classification", "roost.classify"),
    ("frigate.record.maintainer", "roost.record.maintainer"),
    ("frigate.something_new", "roost.something_new"),
    ("ffmpeg.back.detect", "roost.capture.ffmpeg.back.detect"),
    ("roost.motion", "roost.motion"),
])
def test_frigate_logger_names_map_to_roost_modules(frigate: str, roost: str) -> None:
    assert roost_logger_name(frigate) == roost


def test_levels_apply_per_module() -> None:
    configure_logging(LoggerConfig(default="warning", logs={"frigate.mqtt": "debug", "roost.api": "error"}))
    assert logging.getLogger().level == logging.WARNING
    assert logging.getLogger("roost.publish").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("roost.publish.client").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("roost.api").getEffectiveLevel() == logging.ERROR
    assert logging.getLogger("roost.track").getEffectiveLevel() == logging.WARNING
