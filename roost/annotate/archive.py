"""Zip archives of annotation sets, read defensively and written to a temporary file.

Reading checks, before anything is decompressed: the file is a zip, has at most
`MAX_MEMBERS` entries, none encrypted, none a link, none with an absolute path or a `..`
part, and the declared sizes stay under `MAX_MEMBER_BYTES` each and `MAX_TOTAL_BYTES`
together (zip bombs); reading a member stops at its limit whatever its header says.
Folders and the clutter other systems add (`__MACOSX/`, `.DS_Store`) are skipped.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 2 * 2**30
CLUTTER = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class ArchiveError(ValueError):
    """The upload is not an archive Roost reads; the message says why."""


class Archive:
    """The checked members of a zip, by their (POSIX) names."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as error:
            raise ArchiveError(f"not a zip file ({error})") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveError(f"the zip has {len(infos)} entries; at most {MAX_MEMBERS}")
        self.members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            if info.is_dir() or any(part in name for part in CLUTTER):
                continue
            path = PurePosixPath(name)
            if name.startswith("/") or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
                raise ArchiveError(f"'{name[:120]}': absolute paths and '..' are not allowed in the zip")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"'{name[:120]}' is encrypted")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError(f"'{name[:120]}' is a link; only plain files are read")
            if info.file_size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"'{name[:120]}' is {info.file_size // 2**20} MB; at most "
                                   f"{MAX_MEMBER_BYTES // 2**20} MB a file")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise ArchiveError(f"the zip holds more than {MAX_TOTAL_BYTES // 2**30} GB uncompressed")
            self.members[str(path)] = info

    def read(self, name: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
        """A member's bytes, refusing more than `limit` (whatever its header declares)."""
        try:
            with self._zip.open(self.members[name]) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:  # corrupt or truncated data
            raise ArchiveError(f"'{name[:120]}' cannot be read from the zip ({error})") from None
        if len(data) > limit:
            raise ArchiveError(f"'{name[:120]}' is larger than {limit // 2**20} MB")
        return data

    def close(self) -> None:
        self._zip.close()


def write_archive(files: Iterable[tuple[str, bytes | Path]], directory: Path | None = None) -> Path:
    """A zip of `(name in the archive, bytes or a file to copy)` in a temporary file the
    caller removes. Images are stored (already compressed), text deflated."""
    handle = tempfile.NamedTemporaryFile(prefix="roost-annotations-", suffix=".zip", dir=directory, delete=False)
    path = Path(handle.name)
    try:
        with handle, zipfile.ZipFile(handle, "w") as archive:
            for name, content in files:
                compress = zipfile.ZIP_STORED if Path(name).suffix in (".jpg", ".png", ".webp") else zipfile.ZIP_DEFLATED
                if isinstance(content, Path):
                    archive.write(content, name, compress_type=compress)
                else:
                    archive.writestr(name, content, compress_type=compress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
