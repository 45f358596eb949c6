"""Progress of a running real-time export: expected bytes from the covered share of each
segment, progress from the partial file ffmpeg writes aside."""

from __future__ import annotations

from pathlib import Path

from roost.api import exports
from roost.api.exports import expected_bytes, export_progress


def test_expected_bytes_counts_only_the_covered_share_of_each_segment(tmp_path: Path) -> None:
    first, second, gone = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "missing.mp4"
    first.write_bytes(b"x" * 1000)
    second.write_bytes(b"x" * 3000)
    segments = [(first, 0.0, 10.0), (second, 10.0, 20.0), (gone, 20.0, 30.0)]
    # 5..15: the second half of the first (500 B) and the first half of the second (1500 B).
    assert expected_bytes(segments, 5.0, 15.0) == 2000.0
    assert expected_bytes(segments, 30.0, 40.0) == 0.0


def test_progress_is_the_partial_file_against_the_expected_bytes(tmp_path: Path) -> None:
    export_id = "yard_abc123"
    assert export_progress(tmp_path, export_id) is None  # not a running real-time export
    exports._EXPECTED_BYTES[export_id] = 4000.0
    try:
        assert export_progress(tmp_path, export_id) == 0.0  # ffmpeg has not written yet
        partial = tmp_path / ".clip-k2j3" / f"{export_id}.mp4"
        partial.parent.mkdir()
        partial.write_bytes(b"x" * 1000)
        assert export_progress(tmp_path, export_id) == 0.25
        partial.write_bytes(b"x" * 5000)  # faststart rewrites the file: never shown as done early
        assert export_progress(tmp_path, export_id) == 0.99
        (tmp_path / ".clip-zz").mkdir()
        (tmp_path / ".clip-zz" / "other_123456.mp4").write_bytes(b"x" * 4000)  # another export's file
        assert export_progress(tmp_path, export_id) == 0.99
    finally:
        exports._EXPECTED_BYTES.pop(export_id, None)
