"""Roost stage: record. Stream-copy recording and what happens to it afterwards.

- `recorder.Recorder`: one per camera with a `record` (or legacy `clips`) input; keeps
  its ffmpeg writing segments into the cache, following the `recordings` switch.
- `maintainer.RecordingMaintainer`: one in the main process; moves finished segments to
  `recordings/`, indexes them, cuts requested event clips, guards free disk space and
  runs retention.
- `retention`: the pure policy; `expiry`: carries it out on files and rows.
- `segments`, `command`, `probe`, `activity`: names and paths, the ffmpeg command line,
  segment durations, per-frame activity counts.
"""
