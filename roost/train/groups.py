"""Which dataset images are not independent of each other, so validation never splits them.

Neighbouring frames of one person, or of one minute of a state camera, look alike: with
one in the training fold and the other held out, the held-out score measures memory, not
what the model will do on new footage (leave-one-out read 100 % in 45 of 64 runs where
later footage scored 0.80). So images are put in groups and folds are made of groups:

- object models: one group per event. The event id is in the file name run-time gives an
  attempt, which `categorize` keeps (`<event_id>-<timestamp>-<class>-<score>`, CONTRACT.md);
- state models: one group per clock minute of the attempt's timestamp (`none-none-<ts>-…`);
- anything else (wizard examples, uploads, renamed files) has no known origin. In an object
  model it joins the group of any image it nearly duplicates (cosine similarity of the
  head's features ≥ `SAME_SCENE_SIMILARITY`), or forms a group with its own near-duplicates:
  crops of one individual in one moment. In a state model each such image is its own group:
  there, looking alike *is* the class (a closed door looks the same every day), so grouping
  by likeness would put a whole class in one fold and hold it out entirely, and the wizard
  already takes its examples from review segments spread over time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: `<event_id>-<timestamp>-<class>-<score>`; event ids are `<epoch>.<digits>-<[a-z0-9]+>`
#: (Frigate's shape) or `none-none` for state models.
ATTEMPT_STEM = re.compile(
    r"^(?P<event>\d+\.\d+-[a-z0-9]+|none-none)-(?P<timestamp>\d+(?:\.\d+)?)-(?P<label>.+)-(?P<score>[\d.]+|none)$")
STATE_BLOCK_SECONDS = 60
#: Head-feature cosine similarity at which an image of unknown origin counts as the same
#: scene as another. Measured on the head's features (bench/object_task.py, vtest.avi
#: people, 10 events): consecutive attempts of one event median 0.82; attempts of other
#: events median 0.55, 99th percentile 0.81, max 0.90; one photo crop brightened 0.99,
#: mirrored 0.97, shifted by 5 % 0.93. Above the other-event maximum, so two different
#: people are not merged; chains of near-duplicates still join (union-find).
SAME_SCENE_SIMILARITY = 0.9

KIND_EVENT = "event"
KIND_MINUTE = "minute"
KIND_SIMILAR = "similar"


@dataclass(frozen=True)
class Origin:
    """What a file name says about where an image came from (None: not known)."""

    event_id: str | None
    timestamp: float | None


def origin_of(stem: str) -> Origin:
    """Parse an attempt-style file stem (no suffix); unknown names give `Origin(None, None)`.

    >>> origin_of("1700000043.500000-abc123-1700000044.100000-jeans-0.93")
    Origin(event_id='1700000043.500000-abc123', timestamp=1700000044.1)
    >>> origin_of("none-none-1700000100.000000-open-1.00").event_id is None
    True
    """
    match = ATTEMPT_STEM.match(stem)
    if match is None:
        return Origin(None, None)
    event = match["event"]
    return Origin(None if event == "none-none" else event, float(match["timestamp"]))


def known_group(origin: Origin, object_model: bool) -> tuple[str, str] | None:
    """(kind, key) of an image whose origin says its group, else None."""
    if object_model and origin.event_id is not None:
        return KIND_EVENT, origin.event_id
    if not object_model and origin.timestamp is not None:
        return KIND_MINUTE, str(int(origin.timestamp // STATE_BLOCK_SECONDS))
    return None


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a_n = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b_n = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a_n @ b_n.T  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Groups:
    """`index[i]`: group number (0..count-1) of image i; `kinds[g]`: how group g was formed."""

    index: np.ndarray
    kinds: list[str]

    @property
    def count(self) -> int:
        return len(self.kinds)


def group_images(stems: list[str], features: np.ndarray, object_model: bool,
                 similarity: float = SAME_SCENE_SIMILARITY) -> Groups:
    """Group images (file stems (N,), features (N, D) of the untouched view).

    Known origins group by event / minute. In object models each image of unknown origin is
    linked to every image it nearly duplicates, and linked images share a group (union-find),
    so a chain of near-duplicates is one group and an unknown image that copies an event
    joins that event; in state models it stays a group of its own (module docstring).
    """
    n = len(stems)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    kind_of: dict[int, str] = {}
    first_of: dict[tuple[str, str], int] = {}
    unknown: list[int] = []
    for i, stem in enumerate(stems):
        known = known_group(origin_of(stem), object_model)
        if known is None:
            unknown.append(i)
            continue
        kind_of[i] = known[0]
        if known in first_of:
            union(first_of[known], i)
        else:
            first_of[known] = i
    if object_model and unknown and n > 1:
        close = _cosine(features[unknown], features) >= similarity
        for row, i in enumerate(unknown):
            for j in np.flatnonzero(close[row]):
                if j != i:
                    union(i, int(j))
    roots = [find(i) for i in range(n)]
    numbering: dict[int, int] = {}
    index = np.empty(n, np.int64)
    kinds: list[str] = []
    for i, root in enumerate(roots):
        if root not in numbering:
            numbering[root] = len(kinds)
            kinds.append(KIND_SIMILAR)
        index[i] = numbering[root]
        if i in kind_of:  # a group with any known member is named after that origin
            kinds[numbering[root]] = kind_of[i]
    return Groups(index, kinds)


def grouped_folds(labels: np.ndarray, groups: np.ndarray, max_folds: int) -> np.ndarray:
    """Fold index per image such that no group spans two folds and each fold gets a fair
    share of every class: groups are dealt, largest first, to the fold that holds the
    fewest images of the group's majority class. With ≤ `max_folds` groups every group is
    its own fold (leave one group out). Deterministic."""
    count = int(groups.max()) + 1 if len(groups) else 0
    if count <= max_folds:
        return groups.copy()
    n_classes = int(labels.max()) + 1
    sizes = np.bincount(groups, minlength=count)
    majority = np.array([np.bincount(labels[groups == g], minlength=n_classes).argmax() for g in range(count)])
    held = np.zeros((max_folds, n_classes), np.int64)
    fold_of_group = np.empty(count, np.int64)
    for g in sorted(range(count), key=lambda g: (-sizes[g], g)):
        fold = int(np.lexsort((held.sum(axis=1), held[:, majority[g]]))[0])
        fold_of_group[g] = fold
        held[fold] += np.bincount(labels[groups == g], minlength=n_classes)
    return fold_of_group[groups]  # type: ignore[no-any-return]


def similar_clusters(features: np.ndarray, similarity: float) -> np.ndarray:
    """Cluster number per row of `features` (N, D): rows with cosine similarity ≥ `similarity`
    are in one cluster, and so are chains of them (single linkage). Numbered by first row.

    >>> similar_clusters(np.array([[1, 0], [0.99, 0.05], [0, 1.0]]), 0.95).tolist()
    [0, 0, 1]
    """
    n = len(features)
    if n == 0:
        return np.zeros(0, np.int64)
    close = _cosine(features, features) >= similarity
    cluster = np.full(n, -1, np.int64)
    count = 0
    for start in range(n):
        if cluster[start] >= 0:
            continue
        cluster[start] = count
        todo = [start]
        while todo:
            row = todo.pop()
            for j in np.flatnonzero(close[row] & (cluster < 0)):
                cluster[j] = count
                todo.append(int(j))
        count += 1
    return cluster
