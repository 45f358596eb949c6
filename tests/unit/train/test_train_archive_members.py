"""Classifier archives: unsafe or foreign members are rejected before anything is written."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from roost.train.archive import MANIFEST, ArchiveError, _read_limited, check_archive, import_classifier

MODEL_MEMBERS = {"model/model.onnx": b"x", "model/labelmap.txt": b"a\nb\n", "model/metadata.json": b"{}"}


def make_zip(path: Path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST, '{"format": 1, "model": "door"}')
        for name, data in members.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize("member", [
    "../evil.png",
    "/etc/cron.d/evil",
    "model/../../evil.onnx",
    "dataset/open/../../../evil.png",
    "dataset/../model/model.onnx",
    "C:/evil.png",
    "dataset\\open\\evil.png",
    "notes.txt",
    "dataset/open/evil.sh",
    "dataset/bad.class/a.png",
    "model/extra.bin",
])
def test_members_outside_the_model_folders_are_rejected(tmp_path: Path, member: str) -> None:
    source = make_zip(tmp_path / "a.zip", {**MODEL_MEMBERS, member: b"payload"})
    cache, clips = tmp_path / "cache", tmp_path / "clips"
    with pytest.raises(ArchiveError, match="archive member"):
        import_classifier(source, cache, clips)
    assert not cache.exists() and not clips.exists()
    assert not (tmp_path / "evil.png").exists()


def test_symlink_members_are_rejected(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "a.zip", MODEL_MEMBERS, symlinks=("dataset/open/link.png",))
    with pytest.raises(ArchiveError, match="links"):
        check_archive(source)


def test_archives_without_the_model_files_or_not_zip_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="missing model/metadata.json"):
        check_archive(make_zip(tmp_path / "a.zip", {k: v for k, v in MODEL_MEMBERS.items() if "metadata" not in k}))
    (tmp_path / "b.zip").write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        check_archive(tmp_path / "b.zip")


def test_a_broken_model_is_rejected_before_writing(tmp_path: Path) -> None:
    metadata = (b'{"classes": ["a", "b"], "preprocessing": {"size": 224, "mean": [127, 127, 127],'
                b' "scale": 0.0078125, "channel_order": "RGB", "layout": "NCHW"}}')
    source = make_zip(tmp_path / "a.zip", {**MODEL_MEMBERS, "model/metadata.json": metadata})
    with pytest.raises(ArchiveError, match="does not load"):
        import_classifier(source, tmp_path / "cache", tmp_path / "clips")
    assert not (tmp_path / "cache").exists()


def test_reads_are_bounded_whatever_the_header_says(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "a.zip", {"model/model.onnx": b"0" * 1000})
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("model/model.onnx")
        with pytest.raises(ArchiveError, match="limit"):
            _read_limited(archive, info, 999)
        assert len(_read_limited(archive, info, 1000)) == 1000
