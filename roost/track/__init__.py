"""Roost stage: track (pure logic). Detections in, `TrackedObject` snapshots out.

The camera process keeps one `ObjectTracker` per camera (`ObjectTracker.for_camera`) and
per frame asks it for `boxes_to_look_at`, builds regions from them and the motion boxes
(`roost.detect.regions.calculate_regions`), runs the detector, and calls `update`.
Score history, filters, zones, stationarity, matching and the best-frame rule are pure
functions in their own modules.
"""

from roost.track.tracked_object import BestFrame, TrackedObject, new_object_id
from roost.track.tracker import ObjectTracker, TrackerUpdate

__all__ = ["BestFrame", "ObjectTracker", "TrackedObject", "TrackerUpdate", "new_object_id"]
