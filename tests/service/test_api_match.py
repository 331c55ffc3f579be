"""POST /api/v1/match and GET /api/v1/occupations/search over HTTP (TestClient)."""

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def client(demo_env):
    app = create_app(Settings(data_dir=demo_env.data_dir, today=TODAY), load_in_background=False)
    with TestClient(app) as c:
        yield c


def test_match_contract(client, demo_env):
    body = {
        "group": "migrant_worker",
        "age": 36,
        "education": "初中",
        "region_code": "500100",
        "relocate": True,
        "text": "在工地上干了好些年水电安装，想把证考下来",
    }
    r = client.post("/api/v1/match", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["catalog_version"] == demo_env.catalog_version
    assert data["index_version"] == demo_env.index_version
    assert len(data["occupations"]) >= 5
    assert set(data["occupations"][0]) == {"code", "name", "score"}
    assert data["results"]
    first = data["results"][0]
    assert set(first["institution"]) >= {"id", "name", "type", "grade"}
    assert set(first["region"]) == {"code", "name"}
    assert first["mode"] in ("offline", "online", "blended")
    assert set(first["subsidy"]) == {"amount", "basis"}
    assert "excluded" not in data


def test_match_explain(client):
    r = client.post(
        "/api/v1/match?explain=true",
        json={
            "group": "older_worker",
            "age": 64,
            "region_code": "440300",
            "relocate": True,
            "text": "电焊",
        },
    )
    assert r.status_code == 200
    assert "excluded" in r.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group": "unemployed", "age": 80, "region_code": "440300"}, "age"),
        ({"group": "unemployed", "age": 30, "region_code": "123456"}, "region_code"),
        ({"group": "nobody", "age": 30, "region_code": "440300"}, "group"),
        ({"group": "unemployed", "age": 30}, "region_code"),
        ({"group": "unemployed", "age": "abc", "region_code": "440300"}, "age"),
        ({"group": "unemployed", "age": 30, "region_code": "440300", "text": "字" * 1001}, "text"),
    ],
)
def test_match_errors_are_structured_chinese(client, body, field):
    r = client.post("/api/v1/match", json=body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] in ("invalid_profile", "invalid_request")
    assert any(f["field"] == field for f in err["fields"]), err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])


def test_match_rejects_non_json(client):
    r = client.post(
        "/api/v1/match", content=b"not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_occupation_search(client):
    r = client.get("/api/v1/occupations/search", params={"q": "電焊工", "limit": 3})
    assert r.status_code == 200
    data = r.json()
    assert len(data) == 3 and data[0]["code"] == "6-18-02-04"
    assert client.get("/api/v1/occupations/search", params={"q": ""}).status_code == 422
