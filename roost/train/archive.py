"""Export and import a trained classifier as one zip file (Frigate has no way to).

Layout of the archive:

    roost-classifier.json          {"format": 1, "model": <name>, "with_dataset": bool, ...}
    model/model.onnx
    model/labelmap.txt
    model/metadata.json
    dataset/<class>/<image>        only with --with-dataset

Import checks everything before writing anything: member count, total unpacked size and
expansion ratio (against zip bombs; reads are bounded by the same figures whatever a
header claims), every member path is one of the above (no absolute paths, no `..`, no
links, valid class and file names), each member's CRC, the labelmap and metadata parse,
and the model loads in ONNX Runtime with one probability per label. Members are unpacked
in chunks to a temporary staging folder (never whole in memory) and removed with it.
Then files are written, the model last, so run-time's reload (on model.onnx) sees a
complete folder. Error messages name members, never a path on the server.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import onnxruntime as ort  # type: ignore[import-untyped]

from roost import __version__
from roost.classify.model_files import (
    LABELMAP_FILE,
    METADATA_FILE,
    MODEL_FILE,
    InvalidNameError,
    Preprocessing,
    check_model_matches_labels,
    model_paths,
    session_options,
    validate_class_name,
    validate_model_name,
)
from roost.paths import is_within
from roost.train.dataset import DATASET_DIR, IMAGE_SUFFIXES, model_clips_dir
from roost.train.fuse import FILE_MODE

logger = logging.getLogger(__name__)

MANIFEST = "roost-classifier.json"
ARCHIVE_FORMAT = 1
MODEL_PREFIX = "model/"
MAX_MEMBERS = 20_000
MAX_MODEL_BYTES = 256 * 1024 * 1024
MAX_SMALL_FILE_BYTES = 4 * 1024 * 1024         # labelmap, metadata, manifest
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024            # uncompressed, whole archive
#: Unpacked bytes per archive byte beyond RATIO_FLOOR_BYTES: models and images hardly
#: compress (about 1.1x), so more is a zip bomb (14 MB expanding to 1.9 GB is 135x).
MAX_EXPANSION_RATIO = 20
RATIO_FLOOR_BYTES = 32 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
IMAGE_FILE_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")


class ArchiveError(ValueError):
    """The archive is unsafe or not a Roost classifier; the message names the member."""


@dataclass
class CheckedArchive:
    """What import would write, after every check passed: the members as files in a
    staging folder (never held in memory)."""

    model: str
    files: dict[str, Path]                                      # model/<file> → staged file
    dataset: dict[tuple[str, str], Path] = field(default_factory=dict)  # (class, file) → staged file
    manifest: dict[str, Any] = field(default_factory=dict)


def export_classifier(model: str, model_cache: Path, clips_dir: Path, output: Path,
                      with_dataset: bool = False) -> Path:
    """Write the model's three files (and optionally its labelled dataset) to `output` (.zip)."""
    paths = model_paths(model, model_cache)
    if not paths.is_complete():
        raise FileNotFoundError(f"model {model!r} is not trained: no complete model in {paths.root}")
    manifest = {"format": ARCHIVE_FORMAT, "model": model, "with_dataset": with_dataset,
                "roost_version": __version__, "exported": datetime.now(timezone.utc).isoformat()}
    output.parent.mkdir(parents=True, exist_ok=True)
    images = 0
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        for path in (paths.labelmap, paths.metadata, paths.model):
            archive.write(path, MODEL_PREFIX + path.name)
        if with_dataset:
            root = model_clips_dir(clips_dir, model) / DATASET_DIR
            for path in sorted(root.glob("*/*")) if root.is_dir() else []:
                if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("."):
                    archive.write(path, f"{DATASET_DIR}/{path.parent.name}/{path.name}", zipfile.ZIP_STORED)
                    images += 1
    logger.info("exported classifier %s to %s (%d dataset images)", model, output, images)
    return output


def _member_kind(info: zipfile.ZipInfo) -> tuple[str, str, str]:
    """("manifest"|"model"|"dataset"|"dir", part1, part2) for an allowed member, else ArchiveError."""
    name = info.filename
    if (stat.S_IFMT(info.external_attr >> 16) == stat.S_IFLNK) or "\\" in name or name.startswith("/") \
            or ":" in name.split("/")[0]:
        raise ArchiveError(f"archive member {name!r}: links, absolute or drive paths are not allowed")
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ArchiveError(f"archive member {name!r}: path leaves the model's folders ('..' or empty parts)")
    if info.is_dir():
        if parts in (["model"], ["dataset"]) or (len(parts) == 2 and parts[0] == DATASET_DIR):
            return "dir", "", ""
    elif parts == [MANIFEST]:
        return "manifest", "", ""
    elif len(parts) == 2 and parts[0] == "model" and parts[1] in (MODEL_FILE, LABELMAP_FILE, METADATA_FILE):
        return "model", parts[1], ""
    elif len(parts) == 3 and parts[0] == DATASET_DIR:
        try:
            validate_class_name(parts[1])
        except InvalidNameError as error:
            raise ArchiveError(f"archive member {name!r}: {error}") from error
        if not IMAGE_FILE_PATTERN.fullmatch(parts[2]) or Path(parts[2]).suffix.lower() not in IMAGE_SUFFIXES:
            raise ArchiveError(f"archive member {name!r}: dataset files must be images named [A-Za-z0-9_.-]")
        return "dataset", parts[1], parts[2]
    raise ArchiveError(f"archive member {name!r} is not part of a Roost classifier archive "
                       f"(allowed: {MANIFEST}, model/{{{MODEL_FILE},{LABELMAP_FILE},{METADATA_FILE}}}, "
                       f"{DATASET_DIR}/<class>/<image>)")


def _read_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Member bytes, refusing more than `limit` whatever the header claims."""
    if info.file_size > limit:
        raise ArchiveError(f"archive member {info.filename!r} is {info.file_size} bytes; the limit is {limit}")
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ArchiveError(f"archive member {info.filename!r} is larger than its limit of {limit} bytes")
    return data


def _extract_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, target: Path) -> Path:
    """Copy one member to `target` in chunks, refusing more than `limit` bytes whatever the
    header claims; the member's CRC is checked as it is read to its end."""
    if info.file_size > limit:
        raise ArchiveError(f"archive member {info.filename!r} is {info.file_size} bytes; the limit is {limit}")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(info) as handle, target.open("wb") as out:
        while chunk := handle.read(CHUNK_BYTES):
            written += len(chunk)
            if written > limit:
                raise ArchiveError(f"archive member {info.filename!r} is larger than its limit of {limit} bytes")
            out.write(chunk)
    return target


def _check_sizes(members: list[zipfile.ZipInfo], archive_bytes: int) -> None:
    """Member count, total unpacked size and expansion ratio, from the central directory
    (reads are bounded by the same figures, so a lying header gains nothing)."""
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(f"the archive has {len(members)} members; the limit is {MAX_MEMBERS}")
    total = sum(info.file_size for info in members)
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"the archive unpacks to {total} bytes; the limit is {MAX_TOTAL_BYTES}")
    if total > max(RATIO_FLOOR_BYTES, MAX_EXPANSION_RATIO * archive_bytes):
        raise ArchiveError(f"the archive unpacks to {total} bytes from {archive_bytes} "
                           f"(more than {MAX_EXPANSION_RATIO}x): refused as a zip bomb")


def _stage_members(archive: zipfile.ZipFile, staging: Path) -> CheckedArchive:
    checked = CheckedArchive(model="", files={})
    for number, info in enumerate(archive.infolist()):
        kind, first, second = _member_kind(info)
        if kind == "manifest":
            checked.manifest = _json_object(_read_limited(archive, info, MAX_SMALL_FILE_BYTES), MANIFEST)
        elif kind == "model":
            limit = MAX_MODEL_BYTES if first == MODEL_FILE else MAX_SMALL_FILE_BYTES
            checked.files[first] = _extract_limited(archive, info, limit, staging / "model" / first)
        elif kind == "dataset":
            target = staging / "dataset" / f"{number:06d}"
            checked.dataset[(first, second)] = _extract_limited(archive, info, MAX_IMAGE_BYTES, target)
    return checked


def check_archive(source: Path, name: str | None = None, staging: Path | None = None) -> CheckedArchive:
    """Validate an archive completely, unpacking into `staging` (a temporary folder,
    removed again, when None: validation only); raises ArchiveError, writes nothing else.
    Messages name archive members, never a path on this server."""
    if staging is None:
        with tempfile.TemporaryDirectory(prefix="roost-archive-check-") as folder:
            return check_archive(source, name, Path(folder))
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(f"not a readable zip archive ({_without_paths(error)})") from error
    try:
        with archive:
            members = archive.infolist()
            _check_sizes(members, source.stat().st_size)
            checked = _stage_members(archive, staging)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
            ValueError) as error:
        if isinstance(error, ArchiveError):
            raise
        # Bad CRC-32, a truncated member, an unsupported compression method or encryption.
        raise ArchiveError(f"the archive is damaged or unsupported: {_without_paths(error)}") from error
    missing = [f for f in (MODEL_FILE, LABELMAP_FILE, METADATA_FILE) if f not in checked.files]
    if not checked.manifest or missing:
        raise ArchiveError("not a Roost classifier archive (missing "
                           f"{', '.join([MANIFEST] * (not checked.manifest) + ['model/' + m for m in missing])})")
    try:
        checked.model = validate_model_name(name if name is not None else str(checked.manifest.get("model", "")))
    except InvalidNameError as error:
        raise ArchiveError(str(error)) from error
    _check_model(checked)
    return checked


def _without_paths(error: BaseException) -> str:
    """An error's text without the file names it may carry (temporary upload paths)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return re.sub(r"(/[^\s'\"]+)+", "<file>", str(error))


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ArchiveError(f"{where}: not valid JSON ({error})") from error
    if not isinstance(value, dict):
        raise ArchiveError(f"{where}: expected a JSON object")
    return value


def _check_model(checked: CheckedArchive) -> None:
    """Labelmap valid, metadata consistent with it, model loads and has one output per label."""
    where = f"model/{LABELMAP_FILE}"
    try:
        text = checked.files[LABELMAP_FILE].read_bytes().decode("utf-8")
        labels = [line.strip() for line in text.splitlines() if line.strip()]
        for label in labels:
            validate_class_name(label)
    except (UnicodeDecodeError, InvalidNameError) as error:
        raise ArchiveError(f"{where}: {error}") from error
    metadata = _json_object(checked.files[METADATA_FILE].read_bytes(), f"model/{METADATA_FILE}")
    if metadata.get("classes", labels) != labels:
        raise ArchiveError(f"metadata classes {metadata.get('classes')} do not match labelmap {labels}")
    try:
        Preprocessing.from_dict(metadata.get("preprocessing", {}))
        session = ort.InferenceSession(str(checked.files[MODEL_FILE]), sess_options=session_options(1),
                                       providers=["CPUExecutionProvider"])
        check_model_matches_labels(session, labels, f"model/{MODEL_FILE}")
    except ArchiveError:
        raise
    except Exception as error:  # ONNX Runtime raises its own types for malformed models
        raise ArchiveError(f"model/{MODEL_FILE} does not load as a classifier: {_without_paths(error)}") from error
    unknown = sorted({cls for cls, _ in checked.dataset} - set(labels))
    if unknown:
        raise ArchiveError(f"dataset classes {unknown} are not in the labelmap {labels}")


def _install(staged: Path, target: Path) -> None:
    """Copy a staged file next to `target`, then rename: readers see old or new, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, staged.open("rb") as source:
            shutil.copyfileobj(source, out, CHUNK_BYTES)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_classifier(source: Path, model_cache: Path, clips_dir: Path, name: str | None = None,
                      replace: bool = False) -> CheckedArchive:
    """Check `source` fully, then write `model_cache/<name>/` and `clips/<name>/dataset/`.

    Refuses to overwrite an existing model unless `replace`. Returns what was written.
    """
    with tempfile.TemporaryDirectory(prefix="roost-import-") as staging:
        checked = check_archive(source, name, Path(staging))
        paths = model_paths(checked.model, model_cache)
        if paths.root.exists() and any(paths.root.iterdir()) and not replace:
            raise ArchiveError(f"model {checked.model!r} already exists; import under another name or replace it")
        dataset_root = model_clips_dir(clips_dir, checked.model) / DATASET_DIR
        targets = {(cls, fname): dataset_root / cls / fname for cls, fname in checked.dataset}
        for (cls, fname), target in targets.items():  # names are validated; this catches symlinked folders
            if not is_within(target, dataset_root):
                raise ArchiveError(f"refusing to write dataset/{cls}/{fname} outside the dataset folder")
        for key, target in targets.items():
            _install(checked.dataset[key], target)
        for file in (LABELMAP_FILE, METADATA_FILE, MODEL_FILE):
            _install(checked.files[file], paths.root / file)
    logger.info("imported classifier %s from %s (%d dataset images)", checked.model, source, len(checked.dataset))
    return checked
