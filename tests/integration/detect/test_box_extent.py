"""Box extent pinned on real photographs: the default detector's person box covers the
person head to feet, within a few pixels of a box drawn by hand (checked by eye at 2-4x
zoom; the same boxes are in bench/data/detect_ground_truth.json).

- Debian darknet's kite.jpg (1352x900): the walker in the blue hoodie on the beach, hood
  top y=612, heels y=763, in a 500 px region, so she is ~97 px tall in the 320 model input,
  where YOLOv3-tiny's second head (anchors 23,27 37,58 81,82) sizes her. Decoded with the
  cfg's `0,1,2` mask, her box ended at the knees (126,653 158,723).
- darknet's person.jpg (640x424): the woman beside the dog and the horse, hat top y=101,
  boot soles y=372, large in her region (the first head's anchors)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from roost.config.services import DetectorConfig, ModelConfig
from roost.detect.detection import detections_in_frame
from roost.detect.onnx_detector import OnnxDetector
from roost.detect.region import Region
from roost.detect.regions import pairwise_iou
from roost.paths import model_cache_dir

DARKNET_DATA = Path("/usr/share/darknet/data")
TOLERANCE_PX = 6

CASES = [  # photo, region the camera pipeline could send, hand-checked box
    ("kite.jpg", Region(0, 400, 500, 900), (114, 612, 164, 763)),
    ("person.jpg", Region(70, 50, 410, 390), (191, 101, 274, 372)),
]


@pytest.mark.parametrize(("photo", "region", "hand_box"), CASES, ids=[c[0] for c in CASES])
def test_person_box_covers_head_to_feet(photo: str, region: Region, hand_box: tuple[int, int, int, int]) -> None:
    path = DARKNET_DATA / photo
    if not path.is_file():
        pytest.fail(f"{path} is missing: apt-get install darknet (scripts/setup.sh installs it)")
    rgb = np.ascontiguousarray(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))
    detector = OnnxDetector(ModelConfig(), DetectorConfig(), model_cache_dir())  # the default: 320 int8
    crop = rgb[region.y1:region.y2, region.x1:region.x2]
    raw = detector.detect(np.asarray(cv2.resize(crop, (detector.model_size,) * 2), np.uint8))
    people = detections_in_frame(raw, region, detector.labels, {"person"})
    hand = np.array(hand_box, float)
    overlaps = pairwise_iou(np.array([p.box for p in people], float).reshape(-1, 4), hand[None])[:, 0].tolist()
    assert overlaps and max(overlaps) > 0.5, people
    box = people[int(np.argmax(overlaps))].box
    assert all(abs(a - b) <= TOLERANCE_PX for a, b in zip(box, hand_box)), (box, hand_box)
    assert abs((box[3] - box[1]) / (hand_box[3] - hand_box[1]) - 1) < 0.05, box  # full height, not to the knees

