"""Attribute labels (face, license_plate, logos): never tracked, attached to the object that
contains them, a logo sets a car's sub label, a larger face makes a better snapshot."""

from __future__ import annotations

import pytest
from track_scenes import FPS, detection, tracker

from roost.config.objects import FilterConfig, ObjectsConfig
from roost.detect.region import Region
from roost.track.attributes import ObjectAttribute, attribute_owner, logo_sub_label
from roost.track.best_frame import is_better_frame
from roost.track.tracked_object import BestFrame

STEP = 1 / FPS
AMAP = {"person": ["amazon", "face"], "car": ["amazon", "fedex", "license_plate", "ups"]}
REGION = Region(0, 0, 320, 320)


def _objects() -> ObjectsConfig:
    return ObjectsConfig(track=["person", "car", "face", "license_plate", "fedex", "ups", "amazon"],
                         filters={"person": FilterConfig(threshold=0.7, min_score=0.5),
                                  "face": FilterConfig(threshold=0.95, min_score=0.6)})


@pytest.mark.parametrize(("attribute", "objects", "owner"), [
    # the smallest containing object wins (a person in front of a car)
    (("face", (120, 110, 140, 130)), [("car", "car", (0, 0, 400, 300)), ("p", "person", (100, 100, 160, 260))], "p"),
    # a label that cannot carry it is skipped
    (("face", (10, 10, 30, 30)), [("car", "car", (0, 0, 400, 300))], None),
    # not inside (sticks out of the box)
    (("face", (150, 90, 170, 110)), [("p", "person", (100, 100, 160, 260))], None),
    # one logo inside two cars: whose is unclear, neither gets it
    (("fedex", (50, 50, 80, 70)), [("a", "car", (0, 0, 200, 200)), ("b", "car", (20, 20, 150, 150))], None),
    (("fedex", (50, 50, 80, 70)), [("a", "car", (0, 0, 200, 200))], "a"),
])
def test_attribute_owner(attribute: tuple[str, tuple[int, int, int, int]],
                         objects: list[tuple[str, str, tuple[int, int, int, int]]], owner: str | None) -> None:
    label, box = attribute
    assert attribute_owner(detection(box, label, 0.8), objects, AMAP) == owner


def test_logo_sub_label_keeps_a_different_one_set_before() -> None:
    assert logo_sub_label("car", {"ups": 0.7, "fedex": 0.9}, ["fedex", "ups"], None) == ("fedex", 0.9)
    assert logo_sub_label("car", {"fedex": 0.9}, ["fedex"], ("fedex", 0.7)) == ("fedex", 0.9)
    assert logo_sub_label("car", {"fedex": 0.9}, ["fedex"], ("Grandma", 1.0)) == ("Grandma", 1.0)
    assert logo_sub_label("dog", {"fedex": 0.9}, ["fedex"], None) is None


def _best(score: float, faces: list[int]) -> BestFrame:
    return BestFrame(1.0, score, (0, 0, 50, 100), 5000, REGION,
                     tuple(ObjectAttribute("face", 0.8, (0, 0, side, side)) for side in faces))


@pytest.mark.parametrize(("candidate", "kept", "label", "better"), [
    (_best(0.6, [10]), _best(0.95, []), "person", True),   # a face beats none, whatever the score
    (_best(0.99, []), _best(0.6, [10]), "person", False),  # and no face never replaces one
    (_best(0.6, [20]), _best(0.9, [10]), "person", True),  # a larger face wins
    (_best(0.99, [10]), _best(0.6, [20]), "person", False),
    (_best(0.95, [10]), _best(0.9, [10]), "person", True),  # same face size: the score decides
    (_best(0.6, [10]), _best(0.95, []), "dog", False),     # faces mean nothing for a dog
])
def test_best_frame_prefers_the_largest_face(candidate: BestFrame, kept: BestFrame, label: str, better: bool) -> None:
    assert is_better_frame(candidate, kept, 60, label) is better


def test_attributes_are_not_tracked_and_attach_to_the_containing_person() -> None:
    t = tracker(_objects())
    person = (100, 100, 160, 260)
    update = t.update(0.0, [detection(person), detection((120, 110, 140, 130), "face", 0.8)])
    (obj,) = update.objects
    assert obj.label == "person" and update.new == (obj.id,)
    assert obj.attributes == (("face", 0.8),)
    assert obj.current_attributes == (ObjectAttribute("face", 0.8, (120, 110, 140, 130)),)
    update = t.update(STEP, [detection(person), detection((120, 110, 141, 131), "face", 0.7)])
    (obj,) = update.objects
    assert obj.attributes == (("face", 0.8),)  # best score so far
    assert obj.current_attributes[0].score == 0.7  # this frame's
    update = t.update(2 * STEP, [detection(person)])
    assert update.objects[0].current_attributes == ()
    assert update.objects[0].attributes == (("face", 0.8),)


def test_a_lone_face_starts_no_object() -> None:
    t = tracker(_objects())
    for frame in range(10):
        update = t.update(frame * STEP, [detection((120, 110, 140, 130), "face", 0.9)])
        assert update.objects == () and update.new == ()


def test_min_score_filters_attributes_and_threshold_does_not_apply() -> None:
    """`face` has threshold 0.95 (would never be a true positive as an object) and
    min_score 0.6: a 0.65 face attaches, a 0.55 one is filtered out."""
    t = tracker(_objects())
    person = (100, 100, 160, 260)
    (obj,) = t.update(0.0, [detection(person), detection((120, 110, 140, 130), "face", 0.55)]).objects
    assert obj.attributes == ()
    (obj,) = t.update(STEP, [detection(person), detection((120, 110, 140, 130), "face", 0.65)]).objects
    assert obj.attributes == (("face", 0.65),)


def test_fedex_logo_sets_the_cars_sub_label() -> None:
    t = tracker(_objects())
    car = (300, 200, 600, 400)
    (obj,) = t.update(0.0, [detection(car, "car", 0.9), detection((350, 250, 420, 280), "fedex", 0.8)]).objects
    assert obj.sub_label == ("fedex", 0.8)
    (obj,) = t.update(STEP, [detection(car, "car", 0.9), detection((350, 250, 420, 280), "fedex", 0.85)]).objects
    assert obj.sub_label == ("fedex", 0.85)


def test_a_classifier_sub_label_is_not_overwritten_by_a_logo() -> None:
    t = tracker(_objects())
    car = (300, 200, 600, 400)
    (obj,) = t.update(0.0, [detection(car, "car", 0.9)]).objects
    t.set_sub_label(obj.id, "Our van", 0.9)
    (obj,) = t.update(STEP, [detection(car, "car", 0.9), detection((350, 250, 420, 280), "ups", 0.8)]).objects
    assert obj.sub_label == ("Our van", 0.9) and dict(obj.attributes)["ups"] == 0.8


def test_best_frame_is_the_one_with_the_largest_face() -> None:
    t = tracker(_objects())
    faces = [12, 30, 18, 0, 24]  # face side per frame (0: no face); scores rise meanwhile
    for frame, side in enumerate(faces):
        x = 100 + 5 * frame
        found = [detection((x, 100, x + 60, 260), "person", 0.8 + 0.03 * frame)]
        if side:
            found.append(detection((x + 10, 105, x + 10 + side, 105 + side), "face", 0.8))
        t.update(frame * STEP, found)
    (obj,) = t.objects
    assert obj.best is not None and obj.best.frame_time == pytest.approx(1 * STEP)
    assert [a.label for a in obj.best.attributes] == ["face"]
