"""Pure parts of annotation: box checks, COCO and YOLO parsing, YOLO label pairing, and the
archive's refusals (table-driven)."""

from __future__ import annotations

import io
import zipfile

import pytest

from roost.annotate.archive import Archive, ArchiveError
from roost.annotate.coco import parse_coco
from roost.annotate.frames import AnnotationError, check_frame_id, clip_box, parse_boxes
from roost.annotate.yolo import label_member, parse_label_file


@pytest.mark.parametrize(("values", "expected"), [
    ([0, 0, 10, 10], (0, 0, 10, 10)),
    ([10, 10, 0, 0], (0, 0, 10, 10)),  # corners in any order
    ([-5, -5, 700, 500], (0, 0, 640, 480)),  # clipped to the image
    ([1.4, 2.6, 9.5, 9.49], (1, 3, 10, 9)),
])
def test_clip_box(values: list[float], expected: tuple[int, int, int, int]) -> None:
    assert clip_box(values, 640, 480) == expected


@pytest.mark.parametrize("values", [[0, 0, 0, 10], [650, 0, 700, 10], [0, 0, 10], [0, 0, 10, float("nan")],
                                    [True, 0, 10, 10], "0,0,10,10", None])
def test_clip_box_refuses(values: object) -> None:
    with pytest.raises(AnnotationError):
        clip_box(values, 640, 480)


def test_parse_boxes_names_the_bad_entry() -> None:
    with pytest.raises(AnnotationError, match=r"boxes\[1\]\.label"):
        parse_boxes([{"label": "car", "box": [0, 0, 5, 5]}, {"label": "", "box": [0, 0, 5, 5]}], 64, 48)
    (box,) = parse_boxes([{"label": " traffic light ", "box": [0, 0, 5, 5], "score": 0.5}], 64, 48, "import")
    assert (box.label, box.score, box.source) == ("traffic light", 0.5, "import")


@pytest.mark.parametrize("frame_id", ["1700000000.500000-ab12cd", "1.000000-zzzzzz"])
def test_frame_ids(frame_id: str) -> None:
    assert check_frame_id(frame_id) == frame_id


@pytest.mark.parametrize("frame_id", ["../1700000000.500000-ab12cd", "1700000000.5-ab12cd", "1700000000.500000-AB12CD",
                                      "1700000000.500000-ab12cd/x", ""])
def test_bad_frame_ids(frame_id: str) -> None:
    with pytest.raises(AnnotationError):
        check_frame_id(frame_id)


def test_coco_boxes_become_corners_and_crowds_are_skipped() -> None:
    (frame,) = parse_coco({"images": [{"id": 7, "file_name": "a.jpg", "width": 64, "height": 48}],
                           "categories": [{"id": 3, "name": "dog"}],
                           "annotations": [{"image_id": 7, "category_id": 3, "bbox": [1.5, 2, 10, 20]},
                                           {"image_id": 7, "category_id": 3, "bbox": [0, 0, 5, 5], "iscrowd": 1}]})
    assert frame.member == "a.jpg" and frame.declared_size == (64, 48)
    assert [(b.label, b.box) for b in frame.boxes] == [("dog", (1.5, 2.0, 11.5, 22.0))]


@pytest.mark.parametrize(("document", "message"), [
    ({"images": "x"}, "'images' must be a list"),
    ({"images": [{"id": 1}]}, r"images\[0\]"),
    ({"images": [{"id": 1, "file_name": "a"}, {"id": 1, "file_name": "b"}]}, "appears twice"),
    ({"images": [{"id": 1, "file_name": "a"}], "annotations": [{"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]}]},
     "category_id"),
    ({"images": [{"id": 1, "file_name": "a"}], "categories": [{"id": 1, "name": "p"}],
      "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, "x"]}]}, "not a number"),
])
def test_coco_errors_name_the_entry(document: dict[str, object], message: str) -> None:
    with pytest.raises(AnnotationError, match=message):
        parse_coco(document)  # type: ignore[arg-type]


def test_yolo_lines_and_pairing() -> None:
    boxes = parse_label_file("0 0.5 0.5 0.2 0.4\n\n1 0.1 0.1 0.1 0.1 0.9\n", ["person", "car"], "a.txt")
    assert [(b.label, b.normalized) for b in boxes] == [("person", True), ("car", True)]
    assert boxes[0].box == pytest.approx((0.4, 0.3, 0.6, 0.7))
    members = {"ds/labels/train/a.txt": 0, "b.txt": 0}
    assert label_member("ds/images/train/a.jpg", members) == "ds/labels/train/a.txt"
    assert label_member("b.png", members) == "b.txt"
    assert label_member("images/c.jpg", members) is None
    for bad, message in (("0 0.5 0.5 0.2", "expected"), ("5 0.5 0.5 0.1 0.1", "class 5"),
                         ("0 1.5 0.5 0.1 0.1", "normalized"), ("0 a b c d", "not numbers"),
                         ("0 0.5 0.5 0.1 0.1 0.2 0.3 0.4", "segmentation")):
        with pytest.raises(AnnotationError, match=message):
            parse_label_file(bad, ["person"], "x.txt")


def _zip(build: object) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        build(archive)  # type: ignore[operator]
    return buffer.getvalue()


def test_archive_refuses_links_traversal_and_encryption() -> None:
    def link(archive: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("images/a.jpg")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")

    for build, message in ((link, "is a link"), (lambda a: a.writestr("a/../../b", b"x"), "'..'"),
                           (lambda a: a.writestr("C:/x.jpg", b"x"), "absolute")):
        with pytest.raises(ArchiveError, match=message):
            Archive(_zip(build))
    # the encryption flag set in the central directory (zipfile cannot write encrypted files)
    data = bytearray(_zip(lambda a: a.writestr("a.jpg", b"x")))
    at = data.index(b"PK\x01\x02")
    data[at + 8] |= 0x1
    with pytest.raises(ArchiveError, match="encrypted"):
        Archive(bytes(data))
    archive = Archive(_zip(lambda a: (a.writestr("__MACOSX/._a", b"x"), a.writestr("dir/", b""),
                                      a.writestr("a.txt", b"0123456789"))))
    assert list(archive.members) == ["a.txt"]
    with pytest.raises(ArchiveError, match="larger than"):
        archive.read("a.txt", limit=5)
