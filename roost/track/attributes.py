"""Attribute labels: detections that describe a tracked object instead of being one.

Models trained on Frigate+'s label set emit `face`, `license_plate` and the delivery logos
(`amazon`, `ups`, `fedex`). Frigate treats the labels listed in `model.attributes_map`
(`{object label: [attribute labels]}`) as attributes: they are never tracked, create no
events and have no `threshold` (only the detection filters, `min_score` among them, apply);
each one attaches, frame by frame, to the tracked object of a label that may carry it and
whose box contains it. These rules, as pure functions:

- `attribute_owner`: the containing object with the smallest box (a face inside a person
  standing in front of a car belongs to the person); two cars containing one logo means
  it is unclear whose it is, and it attaches to neither (Frigate's rule);
- `logo_sub_label`: the highest scoring logo seen on a car (or a package, a person)
  becomes its sub label, unless something else set a different sub label first;
- `largest_attribute_area`: what the best-snapshot rule compares (the largest face of a
  person, the largest plate of a car).

Boxes are `x1, y1, x2, y2` in detect-frame pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from roost.box import Box
from roost.config.services import NON_LOGO_ATTRIBUTES
from roost.detect.detection import Detection

#: Objects whose sub label a logo sets (Frigate's list).
LOGO_SUB_LABEL_OBJECTS = ("car", "package", "person")
#: Which attribute a label's best snapshot prefers the largest of.
PREFERRED_ATTRIBUTE = {"person": "face", "car": "license_plate", "motorcycle": "license_plate"}
#: When several objects of this label contain one attribute, it attaches to none of them.
AMBIGUOUS_WHEN_SHARED = "car"


@dataclass(frozen=True)
class ObjectAttribute:
    """An attribute detection attached to a tracked object in one frame (Frigate's
    `current_attributes` entries: `label`, `score`, `box`)."""

    label: str
    score: float
    box: Box

    @property
    def area(self) -> int:
        return max(0, self.box[2] - self.box[0]) * max(0, self.box[3] - self.box[1])

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "score": self.score, "box": list(self.box)}


def all_attributes(attributes_map: Mapping[str, Sequence[str]]) -> list[str]:
    """Every attribute label of the map, sorted (Frigate's `model.all_attributes`).

    >>> all_attributes({"person": ["face", "amazon"], "car": ["amazon", "ups"]})
    ['amazon', 'face', 'ups']
    """
    return sorted({label for labels in attributes_map.values() for label in labels})


def logos(attributes_map: Mapping[str, Sequence[str]]) -> list[str]:
    """The attribute labels that are logos (all but face and license plate)."""
    return [label for label in all_attributes(attributes_map) if label not in NON_LOGO_ATTRIBUTES]


def box_contains(outer: Box, inner: Box) -> bool:
    """Whether `inner` lies within `outer` (edges included).

    >>> box_contains((0, 0, 100, 100), (10, 10, 100, 50)), box_contains((0, 0, 100, 100), (90, 90, 110, 95))
    (True, False)
    """
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def attribute_owner(attribute: Detection, objects: Iterable[tuple[str, str, Box]],
                    attributes_map: Mapping[str, Sequence[str]]) -> str | None:
    """The id of the object (`(id, label, box)` each) that `attribute` belongs to, or None.

    >>> face = Detection("face", 0.8, (20, 10, 30, 20), 100, 1.0, None)
    >>> amap = {"person": ["face"], "car": ["license_plate"]}
    >>> attribute_owner(face, [("car1", "car", (0, 0, 200, 200)), ("p1", "person", (10, 0, 50, 100))], amap)
    'p1'
    """
    best: tuple[int, str, str] | None = None  # (area, id, label)
    for object_id, label, box in objects:
        if attribute.label not in attributes_map.get(label, ()) or not box_contains(box, attribute.box):
            continue
        area = _area(box)
        if best is None:
            best = (area, object_id, label)
        elif best[2] == AMBIGUOUS_WHEN_SHARED and label == AMBIGUOUS_WHEN_SHARED:
            return None
        elif area < best[0]:
            best = (area, object_id, label)
    return best[1] if best is not None else None


def assign_attributes(attributes: Sequence[Detection], objects: Sequence[tuple[str, str, Box]],
                      attributes_map: Mapping[str, Sequence[str]]) -> dict[str, list[ObjectAttribute]]:
    """This frame's attribute detections grouped by the object id they attach to (those
    that attach to none are left out)."""
    attached: dict[str, list[ObjectAttribute]] = {}
    for detection in attributes:
        owner = attribute_owner(detection, objects, attributes_map)
        if owner is not None:
            attached.setdefault(owner, []).append(ObjectAttribute(detection.label, detection.score, detection.box))
    return attached


def logo_sub_label(label: str, attributes: Mapping[str, float], logo_labels: Sequence[str],
                   current: tuple[str, float] | None) -> tuple[str, float] | None:
    """The object's sub label after its logos so far (`attributes`: best score per
    attribute label): its best logo, unless a different sub label is already set.

    >>> logo_sub_label("car", {"fedex": 0.8, "ups": 0.6, "license_plate": 0.9}, ["fedex", "ups"], None)
    ('fedex', 0.8)
    >>> logo_sub_label("car", {"fedex": 0.8}, ["fedex"], ("Dad's car", 0.9))
    ("Dad's car", 0.9)
    """
    if label not in LOGO_SUB_LABEL_OBJECTS:
        return current
    seen = {name: score for name, score in attributes.items() if name in logo_labels}
    if not seen:
        return current
    best = max(seen, key=lambda name: seen[name])
    if current is not None and current[0] != best:
        return current
    return (best, seen[best])


def largest_attribute_area(label: str, attributes: Sequence[ObjectAttribute]) -> int | None:
    """The area of the largest attribute the best snapshot of `label` prefers (0 when the
    frame has none of it); None for labels without a preferred attribute."""
    wanted = PREFERRED_ATTRIBUTE.get(label)
    if wanted is None:
        return None
    return max((a.area for a in attributes if a.label == wanted), default=0)
