"""SQLAlchemy 2 tables. Column names follow Frigate's database so its habits (and the
event JSON built from these rows) carry over. Times are epoch seconds (float, UTC)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class EventRow(Base):
    """A tracked object that became a true positive (Frigate's `Event`)."""

    __tablename__ = "event"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(String(50), index=True)
    sub_label: Mapped[str | None] = mapped_column(String(100), index=True)
    sub_label_score: Mapped[float | None] = mapped_column(Float)
    camera: Mapped[str] = mapped_column(String(64), index=True)
    start_time: Mapped[float] = mapped_column(Float, index=True)
    end_time: Mapped[float | None] = mapped_column(Float, index=True)
    top_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    false_positive: Mapped[bool] = mapped_column(Boolean, default=False)
    zones: Mapped[list[Any]] = mapped_column(JSON, default=list)  # entered zones, in order
    thumbnail: Mapped[str | None] = mapped_column(Text)  # base64 JPEG
    has_clip: Mapped[bool] = mapped_column(Boolean, default=False)
    has_snapshot: Mapped[bool] = mapped_column(Boolean, default=False)
    retain_indefinitely: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    box: Mapped[list[Any] | None] = mapped_column(JSON)
    region: Mapped[list[Any] | None] = mapped_column(JSON)
    area: Mapped[int | None] = mapped_column(Integer)
    ratio: Mapped[float | None] = mapped_column(Float)
    model_hash: Mapped[str | None] = mapped_column(String(64))
    detector_type: Mapped[str | None] = mapped_column(String(32))
    model_type: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # top_score, score, box, region, attributes, type
    #: The snapshot frame's own frame_time, box, area, region, score, attributes (the
    #: event's `box` is the object's latest one, usually from another frame).
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Last frame time the object was seen while the event was open (written every few
    #: seconds): a start after a crash ends the event there.
    last_seen: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_event_camera_start", "camera", "start_time"),)


class RecordingRow(Base):
    """One recorded segment file (stream copy) under recordings/."""

    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    camera: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(512), unique=True)
    start_time: Mapped[float] = mapped_column(Float, index=True)
    end_time: Mapped[float] = mapped_column(Float, index=True)
    duration: Mapped[float] = mapped_column(Float)
    motion: Mapped[int] = mapped_column(Integer, default=0)  # frames with motion
    objects: Mapped[int] = mapped_column(Integer, default=0)  # frames with active objects
    dBFS: Mapped[int | None] = mapped_column(Integer)
    segment_size: Mapped[float] = mapped_column(Float, default=0.0)  # MB

    __table_args__ = (Index("ix_recordings_camera_start", "camera", "start_time"),)


class ReviewSegmentRow(Base):
    """Consecutive activity on a camera grouped for review (alert or detection)."""

    __tablename__ = "reviewsegment"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    camera: Mapped[str] = mapped_column(String(64), index=True)
    start_time: Mapped[float] = mapped_column(Float, index=True)
    end_time: Mapped[float | None] = mapped_column(Float, index=True)
    severity: Mapped[str] = mapped_column(String(30), index=True)  # "alert" | "detection"
    has_been_reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    thumb_path: Mapped[str | None] = mapped_column(String(512))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # detections, objects, zones, sub_labels
    last_seen: Mapped[float | None] = mapped_column(Float)  # last active frame while open (see EventRow)


class TimelineRow(Base):
    """What happened to a tracked object, moment by moment (entered zone, gone, ...)."""

    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    timestamp: Mapped[float] = mapped_column(Float, index=True)
    camera: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(20))  # "tracked_object", "api", ...
    source_id: Mapped[str | None] = mapped_column(String(30), index=True)
    class_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClassificationAttemptRow(Base):
    """One run of a custom classification model on a crop (state or object)."""

    __tablename__ = "classification_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    camera: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(30), index=True)
    timestamp: Mapped[float] = mapped_column(Float, index=True)
    label: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    path: Mapped[str | None] = mapped_column(String(512))  # saved attempt image, if kept


class UserRow(Base):
    """A person who logs in on the authenticated port; `password_hash` is argon2."""

    __tablename__ = "user"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="viewer")  # "admin" | "viewer"
    created_at: Mapped[float] = mapped_column(Float)
    # Carried by every session token; raised on logout and password change, which ends
    # every session issued before.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ExportRow(Base):
    """A recording span exported to a standalone file."""

    __tablename__ = "export"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    camera: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    date: Mapped[float] = mapped_column(Float)
    video_path: Mapped[str] = mapped_column(String(512))
    thumb_path: Mapped[str | None] = mapped_column(String(512))
    in_progress: Mapped[bool] = mapped_column(Boolean, default=True)


class AnnotationFrameRow(Base):
    """A full frame kept for tuning the detection model (Frigate+'s "send to Frigate+", done
    locally; `roost.annotate`). The image is `clips/annotations/<image>`; `boxes` are the
    user's (once edited) or the detector's suggestions, `[{label, box: [x1, y1, x2, y2]
    image pixels, score (null for a user's box), source: detector|user|import}]`;
    `suggestions` keep what the detector saw, unchanged. `false_positive`: what the user
    called the object it was sent from (null when not said). Only `verified` frames train."""

    __tablename__ = "annotation_frame"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    camera: Mapped[str | None] = mapped_column(String(64), index=True)
    frame_time: Mapped[float] = mapped_column(Float, index=True)  # capture time, epoch s
    source: Mapped[str] = mapped_column(String(20))  # event | review | live | recording | import
    source_id: Mapped[str | None] = mapped_column(String(64), index=True)
    label: Mapped[str | None] = mapped_column(String(50))  # the sent object's label, if any
    image: Mapped[str] = mapped_column(String(80))  # file name inside clips/annotations/
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    false_positive: Mapped[bool | None] = mapped_column(Boolean)
    boxes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    suggestions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    verified_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)
