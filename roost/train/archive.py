"""Export and import a trained classifier as one zip file (Frigate has no way to).

Layout of the archive:

    roost-classifier.json          {"format": 1, "model": <name>, "with_dataset": bool, ...}
    model/model.onnx
    model/labelmap.txt
    model/metadata.json
    dataset/<class>/<image>        only with --with-dataset

Import checks everything before writing anything: member count and sizes (declared and
actual, against zip bombs), every member path is one of the above (no absolute paths,
no `..`, no links, valid class and file names), the labelmap and metadata parse, and the
model loads in ONNX Runtime with one probability per label. Then files are written, the
model last, so run-time's reload (on model.onnx) sees a complete folder.
"""

from __future__ import annotations

import json
import logging
import re
import stat
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
from roost.train.fuse import write_atomically

logger = logging.getLogger(__name__)

MANIFEST = "roost-classifier.json"
ARCHIVE_FORMAT = 1
MODEL_PREFIX = "model/"
MAX_MEMBERS = 20_000
MAX_MODEL_BYTES = 256 * 1024 * 1024
MAX_SMALL_FILE_BYTES = 4 * 1024 * 1024         # labelmap, metadata, manifest
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024        # uncompressed, whole archive
IMAGE_FILE_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")


class ArchiveError(ValueError):
    """The archive is unsafe or not a Roost classifier; the message names the member."""


@dataclass
class CheckedArchive:
    """What import would write, after every check passed."""

    model: str
    files: dict[str, bytes]                                      # model/<file> → bytes
    dataset: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (class, file) → bytes
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


def check_archive(source: Path, name: str | None = None) -> CheckedArchive:
    """Validate an archive completely, in memory; raises ArchiveError (nothing is written)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(f"{source}: not a readable zip archive ({error})") from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ArchiveError(f"{source}: {len(members)} members; the limit is {MAX_MEMBERS}")
        if sum(info.file_size for info in members) > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{source}: unpacks to more than {MAX_TOTAL_BYTES} bytes")
        checked = CheckedArchive(model="", files={})
        for info in members:
            kind, first, second = _member_kind(info)
            if kind == "manifest":
                checked.manifest = _json_object(_read_limited(archive, info, MAX_SMALL_FILE_BYTES), MANIFEST)
            elif kind == "model":
                limit = MAX_MODEL_BYTES if first == MODEL_FILE else MAX_SMALL_FILE_BYTES
                checked.files[first] = _read_limited(archive, info, limit)
            elif kind == "dataset":
                checked.dataset[(first, second)] = _read_limited(archive, info, MAX_IMAGE_BYTES)
    missing = [f for f in (MODEL_FILE, LABELMAP_FILE, METADATA_FILE) if f not in checked.files]
    if not checked.manifest or missing:
        raise ArchiveError(f"{source}: not a Roost classifier archive (missing "
                           f"{', '.join([MANIFEST] * (not checked.manifest) + ['model/' + m for m in missing])})")
    try:
        checked.model = validate_model_name(name if name is not None else str(checked.manifest.get("model", "")))
    except InvalidNameError as error:
        raise ArchiveError(f"{source}: {error}") from error
    _check_model(checked, source)
    return checked


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ArchiveError(f"{where}: not valid JSON ({error})") from error
    if not isinstance(value, dict):
        raise ArchiveError(f"{where}: expected a JSON object")
    return value


def _check_model(checked: CheckedArchive, source: Path) -> None:
    """Labelmap valid, metadata consistent with it, model loads and has one output per label."""
    where = f"{source}: model/{LABELMAP_FILE}"
    try:
        labels = [line.strip() for line in checked.files[LABELMAP_FILE].decode("utf-8").splitlines() if line.strip()]
        for label in labels:
            validate_class_name(label)
    except (UnicodeDecodeError, InvalidNameError) as error:
        raise ArchiveError(f"{where}: {error}") from error
    metadata = _json_object(checked.files[METADATA_FILE], f"{source}: model/{METADATA_FILE}")
    if metadata.get("classes", labels) != labels:
        raise ArchiveError(f"{source}: metadata classes {metadata.get('classes')} do not match labelmap {labels}")
    try:
        Preprocessing.from_dict(metadata.get("preprocessing", {}))
        session = ort.InferenceSession(checked.files[MODEL_FILE], sess_options=session_options(1),
                                       providers=["CPUExecutionProvider"])
        check_model_matches_labels(session, labels, f"{source}: model/{MODEL_FILE}")
    except ArchiveError:
        raise
    except Exception as error:  # ONNX Runtime raises its own types for malformed models
        raise ArchiveError(f"{source}: model/{MODEL_FILE} does not load as a classifier: {error}") from error
    unknown = sorted({cls for cls, _ in checked.dataset} - set(labels))
    if unknown:
        raise ArchiveError(f"{source}: dataset classes {unknown} are not in the labelmap {labels}")


def import_classifier(source: Path, model_cache: Path, clips_dir: Path, name: str | None = None,
                      replace: bool = False) -> CheckedArchive:
    """Check `source` fully, then write `model_cache/<name>/` and `clips/<name>/dataset/`.

    Refuses to overwrite an existing model unless `replace`. Returns what was written.
    """
    checked = check_archive(source, name)
    paths = model_paths(checked.model, model_cache)
    if paths.root.exists() and any(paths.root.iterdir()) and not replace:
        raise ArchiveError(f"model {checked.model!r} already exists in {paths.root}; "
                           "import under another name or replace it")
    dataset_root = model_clips_dir(clips_dir, checked.model) / DATASET_DIR
    targets = {(cls, fname): dataset_root / cls / fname for cls, fname in checked.dataset}
    for target in targets.values():  # names are validated; this also catches symlinked folders
        if not is_within(target, dataset_root):
            raise ArchiveError(f"refusing to write outside {dataset_root}: {target}")
    for key, target in targets.items():
        write_atomically(target, checked.dataset[key])
    for file in (LABELMAP_FILE, METADATA_FILE, MODEL_FILE):
        write_atomically(paths.root / file, checked.files[file])
    logger.info("imported classifier %s from %s (%d dataset images)", checked.model, source, len(checked.dataset))
    return checked
