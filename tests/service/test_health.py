import shutil

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings


def client_for(data_dir):
    app = create_app(Settings(data_dir=data_dir), load_in_background=False)
    return TestClient(app)


def test_health_ok_with_catalog_and_index(demo_env):
    with client_for(demo_env.data_dir) as client:
        r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "status": "ok",
        "catalog_version": demo_env.catalog_version,
        "index_version": demo_env.index_version,
        "demo": True,
    }


def test_health_503_without_catalog(tmp_path):
    with client_for(tmp_path) as client:
        r = client.get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["status"] != "ok"
    assert r.json()["catalog_version"] is None


def test_health_503_without_index(demo_env_copy):
    shutil.rmtree(demo_env_copy.data_dir / "index")
    with client_for(demo_env_copy.data_dir) as client:
        r = client.get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["index_version"] is None


def test_health_starting_before_load(demo_env):
    app = create_app(Settings(data_dir=demo_env.data_dir), load_in_background=False)
    # Without entering the lifespan nothing has been loaded yet.
    r = TestClient(app).get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["status"] == "starting"


def test_unknown_route_is_structured_json(demo_env):
    with client_for(demo_env.data_dir) as client:
        r = client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "not_found"
    assert r.json()["error"]["message"]


def test_failed_reload_keeps_serving(demo_env_copy):
    app = create_app(Settings(data_dir=demo_env_copy.data_dir), load_in_background=False)
    with TestClient(app) as client:
        state = app.state.service
        (demo_env_copy.data_dir / "catalog" / "CURRENT").write_text("missing-version\n")
        state.load()
        r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["catalog_version"] == demo_env_copy.catalog_version
    assert state.error


def test_bad_settings_fail_fast(tmp_path):
    with pytest.raises(ValueError, match="log level"):
        Settings(data_dir=tmp_path, log_level="LOUD")
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path, port=70000)
