"""What a training run publishes through the hub (MQTT and the websocket)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the message is cheap to import; the trainer is not
    from roost.train.pipeline import TrainingProgress


@dataclass(frozen=True)
class TrainingState:
    """A training run's progress: websocket `model_state` and MQTT
    `<prefix>/classification/<model>/model_state` (`training`, `complete`, `failed`)."""

    progress: TrainingProgress
