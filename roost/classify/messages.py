"""What run-time classification publishes (MQTT and the websocket, through the hub)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateClassification:
    """The verified state of a state model on a camera: retained on
    `<prefix>/<camera>/classification/<model>`."""

    camera: str
    model: str
    state: str


@dataclass(frozen=True)
class ObjectClassification:
    """An object model's assignment: `<prefix>/tracked_object_update` with
    `{"type": "classification", "id", "camera", "timestamp", "model", "sub_label" | "attribute", "score"}`."""

    event_id: str
    camera: str
    timestamp: float
    model: str
    kind: str  # "sub_label" | "attribute"
    value: str
    score: float

    def payload(self) -> dict[str, object]:
        return {"type": "classification", "id": self.event_id, "camera": self.camera, "timestamp": self.timestamp,
                "model": self.model, self.kind: self.value, "score": round(self.score, 4)}
