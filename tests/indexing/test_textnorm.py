import pytest

from indexing.textnorm import clean_job_title, normalize
from indexing.tokenize import LexicalTokenizer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("電焊工（２級）", "电焊工(2级)"),
        ("養老護理員", "养老护理员"),
        ("ＰＬＣ　工程師", "PLC 工程师"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("【深圳】急招电焊工（包吃住 8000-12000元/月）", "电焊工"),
        ("XX机械有限公司招聘数控车床操作工", "数控车床操作工"),
        ("诚聘 会计 双休 五险一金", "会计"),
        ("Java开发工程师 15k-25k", "Java开发工程师"),
        ("美团外卖骑手 月薪过万", "美团外卖骑手"),
        ("仓库管理员（南山区）", "仓库管理员"),
        ("高级焊工 2名", "高级焊工"),
        ("電工（持證）", "电工"),
        ("加工中心操作工", "加工中心操作工"),  # "中心" is part of the job, not a company
        ("3D建模师", "3D建模师"),
        ("招聘", "招聘"),  # never empties a title
        # "管"/"包" + benefit words are noise; 仓管员, 管工, 包工头 are jobs
        ("仓管员（龙华）双休", "仓管员"),
        ("管工 管吃住", "管工"),
        ("包工头", "包工头"),
        ("有五险一金 文员", "文员"),
        # amounts without a period
        ("会计 4000-6000元", "会计"),
        ("厨师 8千", "厨师"),
        ("月薪1万+ 销售", "销售"),
        ("千万级用户产品经理", "千万级用户产品经理"),
        # A bracketed field of the job is kept, first, so the title's head stays last.
        ("技术员（注塑）", "注塑 技术员"),
        ("项目经理(土建)", "土建 项目经理"),
        ("【天猫】客服专员", "天猫 客服专员"),
        ("大副（远洋）", "远洋 大副"),
        # Bracketed requirements of the person, places and benefits are dropped.
        ("店员(女)", "店员"),
        ("普工(18-45岁)", "普工"),
        ("文员（大专及以上）", "文员"),
        ("会计（有经验优先）", "会计"),
        ("焊工（2名）", "焊工"),
        ("销售（底薪+提成）", "销售"),
        ("(急聘)文员", "文员"),
        # Hiring words, but not the job words that contain them.
        ("招商专员", "招商专员"),
        ("招标专员", "招标专员"),
        ("招生老师", "招生老师"),
        ("招聘专员", "招聘专员"),
        ("需求分析师", "需求分析师"),
        ("求职顾问", "求职顾问"),
        ("外聘讲师", "外聘讲师"),
        ("招普工若干", "普工"),
        ("聘 会计", "会计"),
        # Noise words, but not inside job words.
        ("社保专员", "社保专员"),
        ("Database开发工程师", "Database开发工程师"),
        ("Java base 20k", "Java"),
    ],
)
def test_clean_job_title(raw, expected):
    assert clean_job_title(raw) == expected


def test_lexical_tokens_traditional_and_fullwidth_equal():
    tok = LexicalTokenizer(["养老护理员"])
    assert tok("養老護理員") == tok("养老护理员")
    assert tok("ＪＡＶＡ開發") == tok("java开发")
    tokens = tok("我以前在工地干过电焊，想考个焊工证")
    assert "电焊" in tokens and "#电焊" in tokens and "工地" in tokens
    assert "我" not in tokens  # stopword


def test_query_form_cleans_titles_and_keeps_sentences():
    from indexing.corpus import TITLE_MAX_CHARS, query_form

    assert query_form("【深圳】急招电焊工 包吃住") == "电焊工"
    assert query_form("电汗工").split() == ["电汗工", "焊工"]  # a typo: the trade word added
    sentence = (
        "我以前在东莞的工厂里做了好几年注塑机调机，现在想学点新的技术，最好是包吃住的，离家近一点"
    )
    assert len(sentence) > TITLE_MAX_CHARS
    assert query_form(sentence) == normalize(sentence)  # a sentence is not cut as a title
