"""The `skillmatch` command line, run in-process on temporary stores."""

import json
from pathlib import Path

import pytest

from catalog.store import CatalogStore
from service import cli
from service.config import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MESSY = FIXTURES / "demand_shenzhen_long.xlsx"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLMATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SKILLMATCH_DEMO_COURSES", "400")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_demo_versions_stats(tmp_path, capsys):
    store = str(tmp_path / "store")
    code, out, _ = run(
        capsys, "--store", store, "demo", "--courses", "500", "--today", "2026-11-27"
    )
    assert code == 0 and "已生成并启用目录版本" in out
    version = CatalogStore(store).current_version()
    assert version is not None
    code, out, _ = run(capsys, "--store", store, "versions", "--json")
    listed = json.loads(out)
    assert [v["version"] for v in listed] == [version] and listed[0]["current"]
    assert listed[0]["demo"] is True
    code, out, _ = run(capsys, "--store", store, "stats", "--json")
    stats = json.loads(out)
    assert code == 0
    assert stats["version"] == version
    assert stats["courses"] == 500
    assert stats["provinces"] == 31


def test_import_all_or_nothing_then_partial_then_rollback(tmp_path, capsys):
    store_dir = str(tmp_path / "store")
    run(capsys, "--store", store_dir, "demo", "--courses", "300", "--today", "2026-11-27")
    store = CatalogStore(store_dir)
    before = store.current_version()
    args = [
        "--store",
        store_dir,
        "import",
        str(MESSY),
        "--kind",
        "demand",
        "--region",
        "440300",
        "--valid-from",
        "2026-01-01",
    ]
    code, out, err = run(capsys, *args)
    assert code == cli.EXIT_REJECTED
    assert "第 21 行" in out or "21" in out
    assert "当前目录未做任何更改" in err
    assert store.current_version() == before

    report = tmp_path / "report.json"
    code, out, _ = run(
        capsys,
        "--store",
        store_dir,
        "validate",
        str(MESSY),
        "--kind",
        "demand",
        "--region",
        "440300",
        "--report-json",
        str(report),
    )
    assert code == cli.EXIT_REJECTED
    data = json.loads(report.read_text(encoding="utf-8"))
    assert len([e for e in json.dumps(data, ensure_ascii=False).split("未知") if e]) >= 1

    code, out, _ = run(capsys, *args, "--dry-run", "--partial")
    assert code == 0 and "试运行" in out
    assert store.current_version() == before

    code, out, _ = run(capsys, *args, "--partial")
    assert code == 0 and "导入完成" in out
    after = store.current_version()
    assert after != before
    assert store.read_manifest(after).parent == before

    code, _, _ = run(capsys, "--store", store_dir, "switch", before)
    assert code == 0 and store.current_version() == before
    code, _, err = run(capsys, "--store", store_dir, "switch", "no-such-version")
    assert code == cli.EXIT_ERROR and "无法切换" in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(
        capsys, "--store", str(tmp_path), "validate", str(tmp_path / "nope.csv"), "--kind", "demand"
    )
    assert code != 0
    assert "nope.csv" in err


def test_stats_without_catalog(tmp_path, capsys):
    code, _, err = run(capsys, "--store", str(tmp_path / "empty"), "stats")
    assert code == cli.EXIT_ERROR and "no catalog snapshot" in err


def test_prepare_creates_catalog_and_index_once(tmp_path, capsys):
    code, out, _ = run(capsys, "prepare")
    assert code == 0
    data = tmp_path / "data"
    catalog_version = CatalogStore(data / "catalog").current_version()
    index_current = (data / "index" / "CURRENT").read_text().strip()
    assert catalog_version and index_current
    code, out, _ = run(capsys, "prepare")
    assert code == 0 and "目录已就绪" in out and "索引已就绪" in out
    assert CatalogStore(data / "catalog").current_version() == catalog_version
    assert (data / "index" / "CURRENT").read_text().strip() == index_current


def test_bad_setting_fails_fast(monkeypatch, capsys):
    monkeypatch.setenv("SKILLMATCH_PORT", "not-a-port")
    get_settings.cache_clear()
    code, _, err = run(capsys, "versions")
    assert code == cli.EXIT_ERROR and "配置有误" in err
