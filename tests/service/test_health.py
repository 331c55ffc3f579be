from datetime import date

import pytest
from fastapi.testclient import TestClient

from catalog.models import DemandEntry
from catalog.schema import records_to_table
from catalog.store import CatalogStore
from service.app import create_app
from service.config import Settings


def write_snapshot(root):
    entry = DemandEntry(
        region_code="440300",
        occupation_code="6-18-02-04",
        tier="short",
        subsidy_l5=700,
        valid_from=date(2026, 1, 1),
    )
    return CatalogStore(root / "catalog").write(
        {"demand": records_to_table("demand", [entry])}, source="test", demo=True
    )


def client_for(tmp_path):
    app = create_app(Settings(data_dir=tmp_path), load_in_background=False)
    return TestClient(app)


def test_health_ok_with_catalog(tmp_path):
    manifest = write_snapshot(tmp_path)
    with client_for(tmp_path) as client:
        r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["catalog_version"] == manifest.version
    assert "index_version" in body
    assert body["demo"] is True


def test_health_503_without_catalog(tmp_path):
    with client_for(tmp_path) as client:
        r = client.get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["status"] != "ok"
    assert r.json()["catalog_version"] is None


def test_health_starting_before_load(tmp_path):
    write_snapshot(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), load_in_background=False)
    # Without entering the lifespan nothing has been loaded yet.
    r = TestClient(app).get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["status"] == "starting"


def test_unknown_route_is_structured_json(tmp_path):
    write_snapshot(tmp_path)
    with client_for(tmp_path) as client:
        r = client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "not_found"
    assert r.json()["error"]["message"]


def test_failed_reload_keeps_serving(tmp_path):
    manifest = write_snapshot(tmp_path)
    app = create_app(Settings(data_dir=tmp_path), load_in_background=False)
    with TestClient(app) as client:
        state = app.state.service
        (tmp_path / "catalog" / "CURRENT").write_text("missing-version\n")
        state.load()
        r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["catalog_version"] == manifest.version
    assert state.error


def test_bad_settings_fail_fast(tmp_path):
    with pytest.raises(ValueError, match="log level"):
        Settings(data_dir=tmp_path, log_level="LOUD")
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, port=70000)
