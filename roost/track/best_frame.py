"""Which frame of a tracked object to keep as its snapshot.

Rule (Frigate's "highest score, larger area on tie, with `best_image_timeout`", and its
attribute preference for Frigate+ models): a frame in which the object was detected
replaces the kept one when

0. for a label with a preferred attribute (a person's `face`, a car's or motorcycle's
   `license_plate`; `roost.track.attributes.PREFERRED_ATTRIBUTE`), the largest such
   attribute in the two frames differs in size: the frame with the larger one wins (a
   face beats no face, a bigger face a smaller one), whatever the rules below say, so the
   snapshot serves face and plate recognition. Equal (both none): the rules below;
1. there is none yet, or
2. its detection score is higher, or
3. its score is equal and its box area larger, or
4. the kept frame is more than `best_image_timeout` seconds older than this one: then the
   newer frame replaces it whatever its score, so a long-present object's snapshot stays
   recent (Frigate's "timeout for highest scoring image before allowing it to be replaced
   by a newer image"). The timeout restarts from the replacing frame.

Only frames in which the object is a true positive are candidates (the tracker's job).
"""

from __future__ import annotations

from roost.track.attributes import largest_attribute_area
from roost.track.tracked_object import BestFrame


def is_better_frame(candidate: BestFrame, best: BestFrame | None, best_image_timeout: float,
                    label: str = "") -> bool:
    """Whether `candidate` should replace `best` for an object of `label` (rules above).

    >>> from roost.detect.region import Region
    >>> old = BestFrame(100.0, 0.9, (0, 0, 10, 10), 100, Region(0, 0, 320, 320))
    >>> is_better_frame(BestFrame(110.0, 0.8, (0, 0, 10, 10), 100, old.region), old, 60)
    False
    >>> is_better_frame(BestFrame(161.0, 0.8, (0, 0, 10, 10), 100, old.region), old, 60)
    True
    """
    if best is None:
        return True
    new_attribute = largest_attribute_area(label, candidate.attributes)
    kept_attribute = largest_attribute_area(label, best.attributes)
    if new_attribute is not None and kept_attribute is not None and new_attribute != kept_attribute:
        return new_attribute > kept_attribute
    if candidate.score != best.score:
        if candidate.score > best.score:
            return True
    elif candidate.area > best.area:
        return True
    return candidate.frame_time - best.frame_time > best_image_timeout
