"""AP@0.5 as the tune report scores it, on cases worked out by hand."""

from __future__ import annotations

import pytest

from roost.tune.average_precision import Scored, ap_per_label, average_precision, mean_ap

PERSON_A, PERSON_B = (0.0, 0.0, 10.0, 20.0), (100.0, 0.0, 110.0, 20.0)
ELSEWHERE = (300.0, 300.0, 310.0, 320.0)


def test_a_miss_ranked_between_two_hits() -> None:
    # Ranked: hit (P 1, R .5), miss, hit (P 2/3, R 1): AP = .5 * 1 + .5 * 2/3.
    image = Scored([("person", PERSON_A), ("person", PERSON_B)],
                   [("person", 0.9, PERSON_A), ("person", 0.8, ELSEWHERE), ("person", 0.7, PERSON_B)])
    assert average_precision([image], "person") == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_a_second_box_on_the_same_object_is_a_false_positive() -> None:
    twice = Scored([("person", PERSON_A)], [("person", 0.9, PERSON_A), ("person", 0.95, PERSON_A)])
    assert average_precision([twice], "person") == 1.0  # the better one matches first, the other ranks after
    ranked_first = Scored([("person", PERSON_A), ("person", PERSON_B)],
                          [("person", 0.9, PERSON_A), ("person", 0.8, PERSON_A), ("person", 0.7, PERSON_B)])
    assert average_precision([ranked_first], "person") == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_labels_are_scored_apart_and_a_box_below_half_overlap_misses() -> None:
    shifted = (6.0, 0.0, 16.0, 20.0)  # IoU 4/16 with PERSON_A
    images = [Scored([("person", PERSON_A), ("car", PERSON_B)], [("car", 0.9, PERSON_A), ("person", 0.8, shifted)]),
              Scored([("car", PERSON_B)], [("car", 0.6, PERSON_B)])]
    assert ap_per_label(images, ["person", "car", "dog"]) == {"person": 0.0, "car": pytest.approx(0.5 * 0.5),
                                                              "dog": None}
    assert mean_ap({"person": 0.0, "car": 0.25, "dog": None}) == pytest.approx(0.125)
    assert mean_ap({"dog": None}) is None


def test_images_pool_their_detections_by_score() -> None:
    # Image 1's false positive outranks image 2's hit: P at the 2nd hit = 2/3.
    images = [Scored([("person", PERSON_A)], [("person", 0.9, PERSON_A), ("person", 0.85, ELSEWHERE)]),
              Scored([("person", PERSON_B)], [("person", 0.8, PERSON_B)])]
    assert average_precision(images, "person") == pytest.approx(0.5 + 0.5 * 2 / 3)
