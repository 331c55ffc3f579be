"""The course index: dense + lexical search over courses with filters applied inside the search.

Per course (one row each, ids are row positions) the index keeps metadata arrays used to build
filter masks: region (province and city codes), mode, the enrolment window of its next open
session and its free seats, target groups as a bit set, age limits and occupation. A query's
mask is computed from these arrays (vectorised, microseconds) and handed to both channels.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.models import Group, Mode
from catalog.reference.occupations import load_occupations
from indexing.ann.base import BoolArray, FloatArray, IntArray, VectorIndex, open_index
from indexing.ann.exact import ExactIndex
from indexing.ann.hnsw import HNSWIndex
from indexing.encoder import EmbeddingCache, Encoder
from indexing.lexical import LexicalIndex
from indexing.tokenize import LexicalTokenizer

logger = logging.getLogger(__name__)

EPOCH = date(1970, 1, 1)
MODE_CODES = {Mode.OFFLINE.value: 0, Mode.ONLINE.value: 1, Mode.BLENDED.value: 2}
GROUP_BITS = {g.value: 1 << i for i, g in enumerate(Group)}
ALL_GROUPS = (1 << len(GROUP_BITS)) - 1
EXACT_LIMIT = 200_000
# Characters of the description indexed lexically (BM25 memory at build grows with them).
LEXICAL_DESCRIPTION = 100
META_ARRAYS = (
    "province",
    "city",
    "mode",
    "enrol_open",
    "enrol_close",
    "seats_left",
    "groups",
    "age_min",
    "age_max",
    "occupation",
)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class CourseFilter:
    """Hard constraints applied inside the search.

    Attributes:
        regions: Region codes (province, city or county); a course matches when its city or
            province is listed (a county narrows to its city). ``None``: anywhere.
        include_online: Online courses pass the region filter.
        online_only: Only online courses.
        open_on: Only courses with a session whose enrolment is open on this day with seats.
        group: Only courses open to this group.
        age: Only courses whose age limits admit this age.
        occupations: Only courses of these occupation codes.
    """

    regions: tuple[str, ...] | None = None
    include_online: bool = True
    online_only: bool = False
    open_on: date | None = None
    group: str | None = None
    age: int | None = None
    occupations: tuple[str, ...] | None = None


def course_texts(courses: pa.Table) -> tuple[list[str], list[str]]:
    """Dense and lexical texts of each course: title, occupation name (+ aliases), description."""
    occ = load_occupations()
    titles = courses.column("title").to_pylist()
    codes = courses.column("occupation_code").to_pylist()
    descriptions = courses.column("description").to_pylist()
    dense, lexical = [], []
    names: dict[str, tuple[str, str]] = {}
    for title, code, desc in zip(titles, codes, descriptions, strict=True):
        if code not in names:
            o = occ.get(code)
            names[code] = (o.name, " ".join(o.aliases[:8])) if o else ("", "")
        name, aliases = names[code]
        # The opening of a description says what the course is; the rest is logistics.
        short = (desc or "")[:100]
        dense.append(f"{title} {name} {short}")
        lexical.append(f"{title} {name} {name} {aliases} {short[:LEXICAL_DESCRIPTION]}")
    return dense, lexical


def _open_windows(sessions: pa.Table, course_ids: pa.Array, today: date) -> dict[str, Any]:
    """Per course: earliest enrolment opening, latest closing and seats left.

    Computed over the course's sessions with free seats whose enrolment has not closed by
    ``today``.

    The mask built from these may let through a course whose windows all miss the query day
    (a gap between two sessions); the matching engine checks sessions exactly afterwards, so
    the mask only has to never exclude a course that has an open session.
    """
    n = len(course_ids)
    enrol_open = np.full(n, np.iinfo(np.int32).max, dtype=np.int32)
    enrol_close = np.full(n, -1, dtype=np.int32)
    seats = np.zeros(n, dtype=np.int32)
    if sessions.num_rows == 0 or n == 0:
        return {"enrol_open": enrol_open, "enrol_close": enrol_close, "seats_left": seats}
    row_of = pc.index_in(sessions.column("course_id"), value_set=course_ids)
    rows = row_of.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    s_open = sessions.column("enrol_open").cast(pa.int32()).to_numpy(zero_copy_only=False)
    s_close = sessions.column("enrol_close").cast(pa.int32()).to_numpy(zero_copy_only=False)
    left = (
        sessions.column("capacity").to_numpy(zero_copy_only=False)
        - sessions.column("seats_taken").to_numpy(zero_copy_only=False)
    ).astype(np.int32)
    keep = (rows >= 0) & (left > 0) & (s_close >= day_number(today))
    np.minimum.at(enrol_open, rows[keep], s_open[keep])
    np.maximum.at(enrol_close, rows[keep], s_close[keep])
    np.add.at(seats, rows[keep], left[keep])
    return {"enrol_open": enrol_open, "enrol_close": enrol_close, "seats_left": seats}


def build_metadata(courses: pa.Table, sessions: pa.Table, today: date) -> dict[str, np.ndarray]:
    """The filter arrays of every course, in row order."""
    region = np.array(courses.column("region_code").to_pylist(), dtype="U6")
    province = np.array([int(r[:2]) for r in region.tolist()], dtype=np.int16)
    city = np.array([int(r[:4]) for r in region.tolist()], dtype=np.int32)
    mode = np.array([MODE_CODES[m] for m in courses.column("mode").to_pylist()], dtype=np.int8)
    groups = np.array(
        [
            sum(GROUP_BITS[g] for g in gs) if gs else ALL_GROUPS
            for gs in courses.column("eligible_groups").to_pylist()
        ],
        dtype=np.int32,
    )
    leaves = {o.code: i for i, o in enumerate(load_occupations().leaves())}
    occupation = np.array(
        [leaves.get(c, -1) for c in courses.column("occupation_code").to_pylist()],
        dtype=np.int32,
    )
    meta = {
        "province": province,
        "city": city,
        "mode": mode,
        "groups": groups,
        "age_min": courses.column("age_min").to_numpy(zero_copy_only=False).astype(np.int16),
        "age_max": courses.column("age_max").to_numpy(zero_copy_only=False).astype(np.int16),
        "occupation": occupation,
    }
    meta.update(_open_windows(sessions, courses.column("course_id").combine_chunks(), today))
    return meta


class CourseIndex:
    """Courses searchable by dense and lexical channels with a metadata mask."""

    def __init__(
        self,
        course_ids: Sequence[str],
        meta: dict[str, np.ndarray],
        dense: VectorIndex | None,
        lexical: LexicalIndex | None,
    ) -> None:
        """Assemble from parts (see :meth:`build` and :meth:`load`)."""
        self.course_ids = list(course_ids)
        self.row_of = {c: i for i, c in enumerate(self.course_ids)}
        self.meta = meta
        self.dense = dense
        self.lexical = lexical
        self._leaf_index = {o.code: i for i, o in enumerate(load_occupations().leaves())}
        self._occupation_rows: dict[int, IntArray] | None = None

    def count(self) -> int:
        """Number of courses."""
        return len(self.course_ids)

    @classmethod
    def build(
        cls,
        courses: pa.Table,
        sessions: pa.Table,
        encoder: Encoder | None,
        *,
        today: date,
        cache: EmbeddingCache | None = None,
        show_progress: bool = False,
        user_words: Sequence[str] = (),
        progress: Callable[[str, int, int], None] | None = None,
    ) -> tuple[CourseIndex, dict[str, Any]]:
        """Encode and index a catalog's courses.

        Args:
            courses: The courses table of a snapshot.
            sessions: Its sessions table.
            encoder: Encodes the dense texts (``None``: lexical only).
            today: The day the enrolment-window arrays are computed for.
            cache: Embeddings already computed, keyed by text.
            show_progress: Show progress bars.
            user_words: Words the lexical tokenizer keeps whole.
            progress: Called with (phase, done, total) as the build advances; phases are
                ``encode`` (per chunk of texts), ``lexical`` and ``metadata`` (start and end).

        Returns:
            The index and build statistics (texts encoded vs. taken from the cache, kind).
        """
        n = courses.num_rows

        def report(phase: str, done: int) -> None:
            if progress is not None:
                progress(phase, done, n)

        dense_texts, lexical_texts = course_texts(courses)
        stats: dict[str, Any] = {"courses": n}
        dense: VectorIndex | None = None
        if encoder is not None:
            encoded_so_far = 0

            def on_encoded(count: int) -> None:
                nonlocal encoded_so_far
                encoded_so_far += count
                report("encode", encoded_so_far)

            report("encode", 0)
            on_chunk = on_encoded if progress is not None else None
            if cache is not None:
                vectors, encoded = cache.encode(
                    encoder, dense_texts, show_progress=show_progress, progress=on_chunk
                )
            else:
                vectors = encoder.encode(
                    dense_texts, show_progress=show_progress, progress=on_chunk
                )
                encoded = len(dense_texts)
            stats["encoded"] = encoded
            stats["cached"] = len(dense_texts) - encoded
            dim = vectors.shape[1] if len(vectors) else encoder.dim
            dense = ExactIndex(dim) if courses.num_rows <= EXACT_LIMIT else HNSWIndex(dim)
            dense.build(vectors)
            stats["dense_kind"] = dense.kind
        report("lexical", 0)
        lexical = LexicalIndex(LexicalTokenizer(user_words, words=False))
        lexical.build(lexical_texts, show_progress=show_progress)
        report("lexical", n)
        report("metadata", 0)
        meta = build_metadata(courses, sessions, today)
        report("metadata", n)
        stats["meta_today"] = today.isoformat()
        return cls(courses.column("course_id").to_pylist(), meta, dense, lexical), stats

    # -- filters -------------------------------------------------------------------------
    def mask(self, flt: CourseFilter) -> BoolArray:
        """Rows allowed by a filter."""
        m = self.meta
        n = self.count()
        mask = np.ones(n, dtype=bool)
        online = m["mode"] == MODE_CODES[Mode.ONLINE.value]
        if flt.online_only:
            mask &= online
        if flt.regions is not None:
            provinces = {int(r[:2]) for r in flt.regions if r.endswith("0000")}
            cities = {int(r[:4]) for r in flt.regions if not r.endswith("0000")}
            in_region = np.isin(m["province"], list(provinces)) | np.isin(m["city"], list(cities))
            if flt.include_online or flt.online_only:
                in_region |= online
            mask &= in_region
        if flt.open_on is not None:
            today = day_number(flt.open_on)
            mask &= (m["enrol_open"] <= today) & (m["enrol_close"] >= today) & (m["seats_left"] > 0)
        if flt.group is not None:
            mask &= (m["groups"] & GROUP_BITS[flt.group]) != 0
        if flt.age is not None:
            mask &= (m["age_min"] <= flt.age) & (m["age_max"] >= flt.age)
        if flt.occupations is not None:
            of_occupations = np.zeros(n, dtype=bool)
            rows_by_occupation = self._rows_by_occupation()
            for code in flt.occupations:
                rows = rows_by_occupation.get(self._leaf_index.get(code, -1))
                if rows is not None:
                    of_occupations[rows] = True
            mask &= of_occupations
        return mask

    def rows_of(self, occupation: str) -> IntArray:
        """The rows of the courses training ``occupation`` (empty for none or an unknown code)."""
        rows = self._rows_by_occupation().get(self._leaf_index.get(occupation, -1))
        return rows if rows is not None else np.zeros(0, dtype=np.int64)

    def count_of(self, occupation: str, mask: BoolArray) -> int:
        """How many rows allowed by ``mask`` train ``occupation``."""
        return int(np.count_nonzero(mask[self.rows_of(occupation)]))

    def _rows_by_occupation(self) -> dict[int, IntArray]:
        """Rows of each occupation (leaf index → sorted rows), computed once per index.

        A request filters by several occupations; reading their rows costs far less than
        comparing the whole occupation column each time.
        """
        if self._occupation_rows is None:
            column = np.asarray(self.meta["occupation"])
            order = np.argsort(column, kind="stable")
            values, starts = np.unique(column[order], return_index=True)
            bounds = [*starts.tolist(), len(order)]
            # Built fully before it is published: concurrent first calls just build it twice.
            self._occupation_rows = {
                int(v): order[bounds[i] : bounds[i + 1]] for i, v in enumerate(values.tolist())
            }
        return self._occupation_rows

    # -- search --------------------------------------------------------------------------
    def search(
        self,
        *,
        text: str,
        query_vector: FloatArray | None,
        k: int,
        mask: BoolArray | None = None,
        mode: str = "hybrid",
        rrf_k: int = 60,
        weights: tuple[float, float] = (1.0, 1.0),
    ) -> list[tuple[int, float]]:
        """Rows best matching the query among those allowed by ``mask``, best first.

        Returns:
            (row, fused score) pairs.
        """
        rankings: list[tuple[IntArray, float]] = []
        if mode in ("hybrid", "dense") and self.dense is not None and query_vector is not None:
            _, ids = self.dense.search(query_vector, k, mask)
            rankings.append((ids[0], weights[0]))
        if mode in ("hybrid", "lexical") and self.lexical is not None and text:
            _, ids = self.lexical.search([text], k, mask)
            rankings.append((ids[0], weights[1]))
        fused: dict[int, float] = {}
        for ids, weight in rankings:
            for rank, row in enumerate(ids.tolist()):
                if row >= 0:
                    fused[row] = fused.get(row, 0.0) + weight / (rrf_k + rank + 1)
        return sorted(fused.items(), key=lambda kv: -kv[1])[:k]

    # -- persistence ---------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the index, id map and metadata arrays into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.dense is not None:
            self.dense.save(directory / "dense")
        if self.lexical is not None:
            self.lexical.save(directory / "lexical")
        (directory / "ids.json").write_text(json.dumps(self.course_ids), encoding="utf-8")
        meta_dir = directory / "meta"
        meta_dir.mkdir(exist_ok=True)
        for name in META_ARRAYS:
            np.save(meta_dir / f"{name}.npy", self.meta[name])

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> CourseIndex:
        """Read an index written by :meth:`save` (arrays memory-mapped)."""
        ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        meta = {
            name: np.load(directory / "meta" / f"{name}.npy", mmap_mode="r" if mmap else None)
            for name in META_ARRAYS
        }
        dense = (
            open_index(directory / "dense", mmap=mmap) if (directory / "dense").is_dir() else None
        )
        lexical = (
            LexicalIndex.load(directory / "lexical", mmap=mmap)
            if (directory / "lexical").is_dir()
            else None
        )
        return cls(ids, meta, dense, lexical)
