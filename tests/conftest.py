"""Shared fixtures: one small demo catalog and its index bundle, built once per session."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

# The suite sends hundreds of requests a minute from one client: the per-client rate limit is
# off unless a test sets it (tests/service/test_ratelimit.py).
os.environ.setdefault("SKILLMATCH_RATE_LIMIT_PER_MINUTE", "0")

TODAY = date(2026, 11, 27)
DEMO_COURSES = 3000
DEMO_SEED = 7


@dataclass(frozen=True)
class DemoEnv:
    """A data directory (catalog + index) made from a small demo catalog."""

    data_dir: Path
    catalog_version: str
    index_version: str


def _build(data_dir: Path) -> DemoEnv:
    from catalog.demo import generate_demo
    from catalog.store import CatalogStore
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    store = CatalogStore(data_dir / "catalog")
    manifest = store.write(
        generate_demo(courses=DEMO_COURSES, seed=DEMO_SEED, today=TODAY), source="demo", demo=True
    )
    bundle = BundleStore(data_dir / "index").build(store.load(), Encoder(), today=TODAY)
    return DemoEnv(data_dir, manifest.version, bundle["version"])


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> DemoEnv:
    """Read-only demo environment shared by the whole session (do not modify it)."""
    return _build(tmp_path_factory.mktemp("demo-env"))


@pytest.fixture
def demo_env_copy(demo_env: DemoEnv, tmp_path: Path) -> DemoEnv:
    """A private copy of the demo environment that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(demo_env.data_dir, target)
    return DemoEnv(target, demo_env.catalog_version, demo_env.index_version)
