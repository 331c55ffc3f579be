"""Tests of catalog.importer: readers, layouts, markers, report, plan and apply."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from catalog.errors import ImportConflict, ImportFileError, ImportParameterError, ImportRejected
from catalog.importer import (
    apply_import,
    header_key,
    load_courses,
    load_demand,
    load_header_maps,
    load_institutions,
    load_occupation_aliases,
    plan_import,
    resolve_occupation,
)
from catalog.models import DemandEntry, Institution, InstitutionType, UrgencyTier
from catalog.reference.occupations import load_occupations
from catalog.schema import records_to_table, table_to_records
from catalog.store import CatalogStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MESSY = FIXTURES / "demand_shenzhen_long.xlsx"
WIDE = FIXTURES / "demand_wide.xlsx"
CLEAN = FIXTURES / "demand_clean.csv"
INSTITUTIONS = FIXTURES / "institutions.csv"
COURSES = FIXTURES / "courses.json"
DAY = date(2025, 1, 1)


def _entry(region: str, code: str, **kw: object) -> DemandEntry:
    data: dict[str, object] = {
        "region_code": region,
        "occupation_code": code,
        "tier": UrgencyTier.SHORT,
        "subsidy_l5": 1000,
        "subsidy_l4": 1400,
        "valid_from": DAY,
        "source": "seed",
    }
    data.update(kw)
    return DemandEntry.model_validate(data)


@pytest.fixture
def store(tmp_path: Path) -> CatalogStore:
    """A store seeded with four demand entries in 深圳 and 北京."""
    st = CatalogStore(tmp_path / "catalog")
    seed = [
        _entry("440300", "6-18-02-04"),  # 焊工: changed by the messy file
        _entry("440300", "6-31-01-03", subsidy_l4=1100),  # 电工: its group is invalid there
        _entry("440300", "4-03-02-07"),  # 茶艺师: not in the file → removed
        _entry("110000", "6-18-02-04"),  # 北京: other region, untouched
    ]
    st.write({"demand": records_to_table("demand", seed)}, source="seed")
    return st


def _demand_by_key(st: CatalogStore) -> dict[tuple[str, str], DemandEntry]:
    rows = table_to_records("demand", st.load()["demand"])
    return {(r.region_code, r.occupation_code): r for r in rows}


# --- the messy published XLSX -------------------------------------------------------------------
def test_messy_xlsx_is_reported_row_by_row() -> None:
    result = load_demand(MESSY, region_code="440300", valid_from=DAY)
    report = result.report
    errors = report.errors
    assert [(e.row, e.column) for e in errors] == [
        (21, "补贴标准（元/人）"),
        (23, "职业（工种）名称"),
        (24, "等级"),
    ]
    assert [e.reason for e in errors] == [
        "补贴金额不是有效数字：待定",
        "未知的职业（工种）：智能焊接机器人操作员",
        "等级无法识别：六级",
    ]
    assert [e.value for e in errors] == ["待定", "智能焊接机器人操作员", "六级"]
    assert report.header_rows == {"需求目录": "3"}
    assert report.layout == "long"
    assert (report.rows_read, report.rows_invalid, report.rows_skipped_blank) == (24, 3, 1)
    assert report.rows_skipped_note == 1
    assert report.rows_valid == 19
    # 电工's valid rows are dropped with their invalid row, and that is said.
    assert any(w.row == 20 and "电工" in w.reason for w in report.warnings)
    assert ("440300", "6-31-01-03") in result.rejected
    assert report.records == len(result.records) == 4


def test_messy_xlsx_changes_nothing_by_default(store: CatalogStore) -> None:
    before_version = store.current_version()
    before = store.load()["demand"]
    versions = len(store.list_versions())
    plan = plan_import(store, "demand", MESSY, region_code="440300", valid_from=DAY)
    assert not plan.ok
    with pytest.raises(ImportRejected) as caught:
        apply_import(store, plan)
    assert len(caught.value.report.errors) == 3
    assert "3 行错误" in str(caught.value)
    assert store.current_version() == before_version
    assert store.load()["demand"].equals(before)
    assert len(store.list_versions()) == versions
    assert "未导入任何内容" in plan.to_text()


def test_messy_xlsx_partial_imports_the_valid_rows(store: CatalogStore) -> None:
    old_version = store.current_version()
    plan = plan_import(store, "demand", MESSY, partial=True, region_code="440300", valid_from=DAY)
    assert plan.ok
    diff = plan.diffs["demand"]
    assert sorted(k[1] for k in diff.added) == ["4-10-01-01", "4-10-01-05", "6-30-05-01"]
    assert [k[1] for k, _ in diff.changed] == ["6-18-02-04"]
    assert [k[1] for k in diff.removed] == ["4-03-02-07"]
    assert plan.kept == 1  # 电工 keeps its current row

    manifest = apply_import(store, plan)
    assert manifest.parent == old_version
    assert manifest.source == "import:demand_shenzhen_long.xlsx"
    assert store.current_version() == manifest.version
    rows = _demand_by_key(store)
    welder = rows[("440300", "6-18-02-04")]
    assert [welder.subsidy(lv) for lv in (5, 4, 3, 2, 1)] == [1000, 1500, 2000, 3000, 4000]
    assert welder.source == "深圳市2025年职业技能培训需求指导目录"
    care = rows[("440300", "4-10-01-05")]  # 養老護理員 in traditional characters
    assert care.tier is UrgencyTier.VERY_SHORT
    assert [care.subsidy(lv) for lv in (5, 4, 3, 2, 1)] == [1200, 1800, 2500, None, None]
    assert care.not_in_standard == ()
    nanny = rows[("440300", "4-10-01-01")]  # 育婴员 via the alias table
    assert nanny.not_in_standard == (2, 1)
    assert nanny.subsidy(2) is None and nanny.subsidy(3) == 1800
    assert rows[("440300", "6-31-01-03")].subsidy(4) == 1100  # kept, not half-imported
    assert ("440300", "4-03-02-07") not in rows
    assert rows[("110000", "6-18-02-04")].source == "seed"
    assert ("440300", "4-03-02-01") not in rows  # the 六级 row is not imported


# --- markers, digits, merged cells, headers -------------------------------------------------------
def test_slash_means_no_subsidy_and_dash_means_not_in_standard() -> None:
    result = load_demand(WIDE, valid_from=DAY)
    forklift = next(r for r in result.records if r.occupation_code == "6-30-05-01")
    assert forklift.subsidy(3) is None and 3 not in forklift.not_in_standard  # "/"
    assert forklift.not_in_standard == (2, 1)  # "——"
    assert forklift.tier is UrgencyTier.GENERAL


def test_full_width_digits_separators_and_yuan_parse() -> None:
    records = load_demand(WIDE, valid_from=DAY).records
    by_code = {r.occupation_code: r for r in records}
    assert by_code["4-10-08-01"].subsidy(5) == 700  # "７００"
    cook = by_code["4-03-02-01"]  # "1,000元" … "4,000元"
    assert [cook.subsidy(lv) for lv in (5, 4, 3, 2, 1)] == [1000, 1500, 2000, 3000, 4000]


def test_merged_cells_propagate() -> None:
    # LONG: one merged 职业（工种）名称/编码/紧缺程度 cell spans five level rows.
    long = load_demand(MESSY, region_code="440300", valid_from=DAY)
    welder = next(r for r in long.records if r.occupation_code == "6-18-02-04")
    assert welder.subsidy(1) == 4000 and welder.tier is UrgencyTier.SHORT
    # WIDE: a merged region cell spans the rows of its occupations.
    wide = load_demand(WIDE, valid_from=DAY)
    regions = {r.occupation_code: r.region_code for r in wide.records}
    assert regions == {
        "6-18-02-04": "440300",
        "6-30-05-01": "440300",
        "4-03-02-01": "440300",
        "4-10-01-05": "440100",
        "4-10-08-01": "440100",
    }


def test_two_row_header_with_traditional_labels() -> None:
    result = load_demand(WIDE, valid_from=DAY)
    assert result.report.layout == "wide"
    assert result.report.header_rows == {"紧缺职业目录": "2-3"}
    assert result.report.ok
    welder = next(r for r in result.records if r.occupation_code == "6-18-02-04")  # 电焊工
    assert welder.key_occupation is True


def test_header_variants_map() -> None:
    assert header_key("补贴标准(元/人)") == header_key("補貼標準（元／人）") == "补贴标准元人"
    demand = load_header_maps()["demand"]
    assert demand.field_for("職業（工種）名稱") == "occupation_name"
    assert demand.field_for("Occupation_Name") == "occupation_name"
    assert demand.field_for(" 补贴标准 （元/人） ") == "subsidy"
    assert demand.field_for("二级（技师）") == "subsidy_l2"
    assert demand.field_for("紧 缺 程 度") == "tier"
    assert demand.is_ignored("序号") and demand.field_for("序号") is None
    assert load_header_maps()["institutions"].field_for("等级") == "grade"


def test_english_headers_csv() -> None:
    result = load_demand(CLEAN)
    assert result.report.ok and result.report.header_rows == {"": "1"}
    by_code = {r.occupation_code: r for r in result.records}
    assert by_code["4-10-01-05"].tier is UrgencyTier.VERY_SHORT
    assert by_code["6-31-01-03"].not_in_standard == (2, 1)
    assert all(r.valid_from == DAY for r in result.records)


def test_gbk_csv_reads(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    text = "地区,职业（工种）名称,等级,补贴标准（元/人）,紧缺程度\n深圳市,焊工,四级,1500,紧缺\n"
    path.write_bytes(text.encode("gbk"))
    result = load_demand(path, valid_from=DAY)
    assert result.report.ok
    [entry] = result.records
    assert (entry.region_code, entry.occupation_code, entry.subsidy(4)) == (
        "440300",
        "6-18-02-04",
        1500,
    )
    assert entry.subsidy(5) is None and entry.not_in_standard == ()


def test_sections_percentages_periods_and_sheets(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "说明"
    cover["A1"] = "填表说明：本目录每年更新"
    sheet = book.create_sheet("目录")
    sheet.append(["附件1"])
    sheet.append(["广州市紧缺职业目录"])
    sheet.append(
        ["序号", "地区代码", "职业名称", "初级工（五级）", "中级工（四级）", "紧缺程度",
         "紧缺上浮比例", "重点职业", "有效期", "行业"]
    )  # fmt: skip
    sheet.append(["一、先进制造业"] * 10)  # a section row merged across the table
    sheet.append(
        [1, 440100000000, "数控车工", 1000, "—", "紧缺", 0.2, "√", "2025年3月1日至2025年12月31日",
         "制造"]
    )  # fmt: skip
    path = tmp_path / "multi.xlsx"
    book.save(path)
    result = load_demand(path, source="穗人社〔2025〕1号")
    report = result.report
    assert report.header_rows == {"目录": "3"} and report.rows_skipped_note == 1
    assert [w.sheet for w in report.warnings] == ["说明"]
    [entry] = result.records
    assert (entry.region_code, entry.occupation_code) == ("440100", "6-18-01-01")  # alias
    assert (entry.shortage_uplift_pct, entry.key_occupation) == (20, True)
    assert (entry.valid_from, entry.valid_to) == (date(2025, 3, 1), date(2025, 12, 31))
    assert entry.not_in_standard == (4,) and entry.source == "穗人社〔2025〕1号"


def test_continuation_rows_without_merges_fill_down(tmp_path: Path) -> None:
    # A merged sheet exported to CSV: the occupation is only on its first level row.
    path = tmp_path / "export.csv"
    path.write_text(
        "职业名称,等级,补贴标准,紧缺程度\n焊工,五级,1000,紧缺\n,四级,1500,\n,三级,——,\n",
        encoding="utf-8",
    )
    [entry] = load_demand(path, region_code="深圳市", valid_from=DAY).records
    assert (entry.subsidy(5), entry.subsidy(4), entry.not_in_standard) == (1000, 1500, (3,))


def test_duplicate_rows_are_errors_on_the_later_row(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(
        "地区代码,职业编码,等级,补贴标准,紧缺程度\n"
        "440300,6-18-02-04,五级,1000,紧缺\n"
        "440300,6-18-02-04,四级,1500,紧缺\n"
        "440300,6-18-02-04,四级,1500,紧缺\n",
        encoding="utf-8",
    )
    result = load_demand(path, valid_from=DAY)
    [error] = result.report.errors
    assert error.row == 4 and error.column == "等级"
    assert "重复" in error.reason and "第 3 行" in error.reason
    assert result.records == []  # the entry is ambiguous, so nothing of it is imported

    inst = tmp_path / "inst.csv"
    inst.write_text(
        "机构编码,机构名称,机构类型,地区\nA1,甲学校,技工院校,440300\nA1,乙学校,企业,440300\n",
        encoding="utf-8",
    )
    loaded = load_institutions(inst)
    [error] = loaded.report.errors
    assert error.row == 3 and "重复的机构编码" in error.reason
    assert [r.name for r in loaded.records] == ["甲学校"]


def test_region_column_errors_and_traditional_names(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text(
        "地区,职业名称,五级,四级,紧缺程度\n"
        "4403,焊工,1000,1500,紧缺\n"
        "火星市,焊工,1000,1500,紧缺\n"
        "廣州市,電焊工,1000,1500,紧缺\n",
        encoding="utf-8",
    )
    result = load_demand(path, valid_from=DAY)
    assert [(e.row, e.column, e.reason) for e in result.report.errors] == [
        (2, "地区", "地区代码须为 6 位数字：4403"),
        (3, "地区", "无法识别的地区：火星市"),
    ]
    [entry] = result.records
    assert (entry.region_code, entry.occupation_code) == ("440100", "6-18-02-04")


def test_model_errors_are_translated_into_chinese(tmp_path: Path) -> None:
    path = tmp_path / "inst.csv"
    path.write_text(
        "机构编码,机构名称,机构类型,地区,培训人数,取证人数\n"
        "A1,甲学校,技工院校,440300,10,20\n"
        "A 2,乙学校,私立,440300,abc,0\n",
        encoding="utf-8",
    )
    report = load_institutions(path).report
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert reasons[(2, "")] == "取证人数（20）不能多于培训人数（10）"
    assert reasons[(3, "机构类型")].startswith("机构类型无法识别：私立（可填：技工院校")
    assert reasons[(3, "培训人数")] == "培训人数不是有效数字：abc"
    assert report.rows_invalid == 2 and report.records == 0


def test_missing_region_is_a_file_error_with_a_hint() -> None:
    result = load_demand(MESSY, valid_from=DAY)
    [error] = result.report.file_errors
    assert error.row is None and "region_code" in error.reason and "440300" in error.reason
    assert result.records == []


def test_file_without_header(tmp_path: Path, store: CatalogStore) -> None:
    path = tmp_path / "junk.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    plan = plan_import(store, "demand", path, region_code="440300")
    assert not plan.ok and "未找到表头" in plan.report.file_errors[0].reason
    with pytest.raises(ImportRejected):
        apply_import(store, plan)


def test_bad_files_and_parameters(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ImportFileError, match="xlsx"):
        load_demand(xls)
    with pytest.raises(ImportFileError):
        load_demand(tmp_path / "missing.csv")
    with pytest.raises(ImportParameterError, match="region_code"):
        load_demand(CLEAN, region_code="999999")
    with pytest.raises(ImportParameterError):
        load_demand(MESSY, sheet="不存在")


def test_report_as_json_and_text() -> None:
    report = load_demand(MESSY, region_code="440300", valid_from=DAY).report
    data = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert data["counts"]["rows_invalid"] == 3 and data["counts"]["rows_skipped_blank"] == 1
    first = data["entries"][0]
    assert first == {
        "sheet": "需求目录",
        "row": 21,
        "column": "补贴标准（元/人）",
        "value": "待定",
        "reason": "补贴金额不是有效数字：待定",
        "severity": "error",
    }
    text = report.to_text()
    assert "第 21 行［补贴标准（元/人）］：补贴金额不是有效数字：待定" in text
    assert "有误 3 行" in text and "空行 1 行" in text


# --- plan and apply -------------------------------------------------------------------------------
def test_reimport_of_a_modified_file_diffs_correctly(tmp_path: Path) -> None:
    st = CatalogStore(tmp_path / "catalog")
    first = apply_import(st, plan_import(st, "demand", CLEAN))
    assert first.parent is None and first.counts["demand"] == 3

    lines = CLEAN.read_text(encoding="utf-8-sig").splitlines()
    lines = [line for line in lines if "电工" not in line]  # removed
    lines = [line.replace("焊工,4,1500", "焊工,4,1600") for line in lines]  # changed
    lines += [f"440300,,中式烹调师,{lv},{900 + lv},short,2025-01-01" for lv in (5, 4)]  # added
    modified = tmp_path / "v2" / "demand_clean.csv"  # same name: entries keep their source
    modified.parent.mkdir()
    modified.write_text("\n".join(lines) + "\n", encoding="utf-8")

    plan = plan_import(st, "demand", modified)
    diff = plan.diffs["demand"]
    assert diff.added == [("440300", "4-03-02-01", DAY)]
    assert diff.removed == [("440300", "6-31-01-03", DAY)]
    assert diff.changed == [(("440300", "6-18-02-04", DAY), {"subsidy_l4": (1500, 1600)})]
    assert "新增 1 条，修改 1 条，删除 1 条" in plan.to_text()
    second = apply_import(st, plan)
    assert second.parent == first.version

    same = plan_import(st, "demand", modified)
    assert same.ok and same.is_empty and "无需导入" in same.to_text()
    assert apply_import(st, same).version == second.version
    assert len(st.list_versions()) == 2


def test_apply_refuses_a_stale_plan(store: CatalogStore) -> None:
    plan = plan_import(store, "demand", CLEAN)
    store.write({"demand": store.load()["demand"]}, source="someone else")
    with pytest.raises(ImportConflict):
        apply_import(store, plan)


def test_institutions_upsert_and_region_from_address(store: CatalogStore) -> None:
    existing = Institution(
        institution_id="OLD1", name="旧机构", type=InstitutionType.PRIVATE, region_code="440300"
    )
    snap = store.load()
    store.write(
        {**snap.tables, "institutions": records_to_table("institutions", [existing])},
        source="seed2",
    )
    plan = plan_import(store, "institutions", INSTITUTIONS)
    assert plan.diffs["institutions"].removed == []
    assert len(plan.diffs["institutions"].added) == 3
    apply_import(store, plan)
    rows = {
        r.institution_id: r for r in table_to_records("institutions", store.load()["institutions"])
    }
    assert set(rows) == {"OLD1", "SZJX001", "SZPX002", "GZQY003"}
    assert rows["GZQY003"].region_code == "440113"  # 番禺区, from the address
    assert rows["SZJX001"].type is InstitutionType.TECHNICAL_SCHOOL  # 技师学院


def test_courses_json_with_sessions(store: CatalogStore) -> None:
    apply_import(store, plan_import(store, "institutions", INSTITUTIONS))
    plan = plan_import(store, "courses", COURSES)
    assert plan.ok, plan.to_text()
    apply_import(store, plan)
    snap = store.load()
    courses = {r.course_id: r for r in table_to_records("courses", snap["courses"])}
    sessions = {s.session_id: s for s in table_to_records("sessions", snap["sessions"])}
    assert set(courses) == {"C-SZ-001", "C-SZ-002", "C-GZ-003"}
    assert courses["C-SZ-001"].occupation_code == "6-18-02-04"  # 电焊工
    assert (courses["C-SZ-001"].age_min, courses["C-SZ-001"].age_max) == (16, 55)
    assert courses["C-GZ-003"].occupation_code == "4-12-01-01"  # 新能源汽车维修工
    assert set(sessions) == {"C-SZ-001-A", "C-SZ-001-20250506", "C-SZ-002-1"}
    generated = sessions["C-SZ-001-20250506"]
    assert generated.capacity == 30 and generated.enrol_close == date(2025, 4, 30)
    assert sessions["C-SZ-001-A"].region_code == "440304"  # 福田区, from the place


def test_courses_need_known_institutions(store: CatalogStore) -> None:
    plan = plan_import(store, "courses", COURSES, partial=True)
    assert not plan.ok  # nothing valid is left
    reasons = [e.reason for e in plan.report.errors]
    assert len(reasons) == 3 and all("未知的培训机构编码" in r for r in reasons)


def test_course_reimport_replaces_sessions_of_the_institutions(
    store: CatalogStore, tmp_path: Path
) -> None:
    apply_import(store, plan_import(store, "institutions", INSTITUTIONS))
    apply_import(store, plan_import(store, "courses", COURSES))
    data = json.loads(COURSES.read_text(encoding="utf-8"))
    szjx = [row for row in data["rows"] if row["institution_id"] == "SZJX001"]
    szjx[0]["sessions"] = szjx[0]["sessions"][:1]
    path = tmp_path / "szjx.json"
    path.write_text(json.dumps(szjx, ensure_ascii=False), encoding="utf-8")
    plan = plan_import(store, "courses", path)
    assert plan.scope == ("SZJX001",)
    assert plan.diffs["courses"].is_empty
    assert plan.diffs["sessions"].removed == [("C-SZ-001-20250506",)]
    apply_import(store, plan)
    assert store.load()["courses"].num_rows == 3  # other institutions' courses untouched


def test_flat_course_rows_with_session_columns(tmp_path: Path) -> None:
    path = tmp_path / "courses.csv"
    path.write_text(
        "项目编号,机构编码,项目名称,职业（工种）名称,培训等级,培训方式,总课时,实操课时,培训费,"
        "补贴金额,证书类型,地区,开班日期,结班日期,报名开始,报名截止,名额\n"
        "K1,SZJX001,焊工培训,焊工,五级,线下,80,50,2000,1000,等级证书,440300,"
        "2025-03-01,2025-04-01,2025-02-01,2025-02-20,30\n"
        ",,,,,,,,,,,,2025-05-01,2025-06-01,2025-04-01,2025-04-20,25\n"
        "K1,SZJX001,焊工培训,焊工,五级,线下,80,50,2000,1000,等级证书,440300,"
        "2025-07-01,2025-08-01,2025-06-01,2025-06-20,20\n"
        "K2,SZJX001,电工培训,电工,四级,线下,40,50,2000,1000,等级证书,440300,,,,,\n",
        encoding="utf-8",
    )
    result = load_courses(path)
    assert [c.course_id for c in result.records] == ["K1"]
    assert [s.capacity for s in result.sessions] == [30, 25, 20]
    [error] = result.report.errors
    assert error.row == 5 and error.reason == "实操课时（50）不能多于总课时（40）"


# --- reference data -------------------------------------------------------------------------------
def test_occupation_aliases_point_at_leaves() -> None:
    index = load_occupations()
    aliases = load_occupation_aliases()
    assert len(aliases) >= 40
    for name, code in aliases.items():
        occupation = index.get(code)
        assert occupation is not None and occupation.is_leaf, name
        exact = index.resolve(name)
        assert exact is None or exact.name != name, f"{name} is already an occupation name"


def test_resolve_occupation_order() -> None:
    assert resolve_occupation("電焊工").code == "6-18-02-04"  # type: ignore[union-attr]
    assert resolve_occupation("6180204").code == "6-18-02-04"  # type: ignore[union-attr]
    assert resolve_occupation("焊工（氩弧焊）").code == "6-18-02-04"  # type: ignore[union-attr]
    assert resolve_occupation("叉车司机").code == "6-30-05-01"  # type: ignore[union-attr]
    assert resolve_occupation("保育师").code == "4-10-01-03"  # type: ignore[union-attr]
    assert resolve_occupation("智能焊接机器人操作员") is None
