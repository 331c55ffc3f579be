"""Normalisation of query and document text, shared by indexing and queries.

:func:`normalize` folds width and script (NFKC, traditional → simplified) so that
"電焊工（２級）" and "电焊工(2级)" become the same string. :func:`clean_job_title` also strips the
noise recruiting titles carry: company names, "急招/诚聘", places, salary and benefit tags,
and bracketed requirements of the person; a bracketed field of the job ("技术员（注塑）") is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalog.text import normalize_text

_BRACKETED = re.compile(r"[\[【(（<《{][^\]】)）>》}]{0,20}[\]】)）>》}]")
_SALARY = re.compile(
    r"(\d+(\.\d+)?\s*[kKwW千万]?\s*[-~至到]\s*)?\d+(\.\d+)?\s*[kKwW千万]?\s*"
    r"(元|块)?\s*(/|每)?\s*(月|天|日|时|小时|年|薪)(?:薪)?"
)
# "4000-6000元", "8千", "1万+": amounts without a period.
_SALARY_AMOUNT = re.compile(
    r"(\d+(\.\d+)?\s*[千万]?\s*[-~至到]\s*)?\d+(\.\d+)?\s*[千万]?\s*元(以上|起)?|"
    r"\d+(\.\d+)?[千万](\+|以上|起)?(?![\u4e00-\u9fff])"
)
_SALARY_K = re.compile(r"\d+(\.\d+)?\s*[kKwW]\s*([-~至到]\s*\d+(\.\d+)?\s*[kKwW])?(?![a-zA-Z])")
_SALARY_WORDS = re.compile(r"(月薪|年薪|日薪|底薪|时薪|薪资|工资)\s*(过万|面议|\d+[kKwW千万]?\+?)?")
_COMPANY = re.compile(
    r"^.{2,30}?(有限责任公司|股份有限公司|有限公司|集团公司|集团|公司)"
    r"(?=.{2,})"
)
# Hiring words. 招聘 of a recruiter's title (招聘专员, 招聘经理) and the 招 of 招商, 招标, 招生,
# 招投标, 招采 are the job; a bare 聘 or 求 is a hiring word only at the start (not 外聘讲师,
# 需求分析师, 求职顾问).
_HIRING = re.compile(
    r"(高薪|急聘|急招|诚聘|直招|热招|聘请|诚邀|寻找|需要|"
    r"招聘(?!专员|主管|经理|顾问|助理|官|负责人|总监|组长|hr|HR)|"
    r"招(?![商标生投采募聘])|"
    r"(?:^|(?<=\s))[聘求](?!职))\s*"
)
_BENEFITS = re.compile(
    r"(包吃包住|包吃住|包住|包吃|五险一金|六险一金|五险|双休|单休|大小周|长白班|两班倒|"
    r"做六休一|提成|年终奖|可实习|接受小白|无经验可|经验不限|学历不限|男女不限|限男|限女|"
    r"名额有限|多名|若干|\d+\s*名|\d+\s*人)"
)
_SEPARATORS = re.compile(r"[\s/|,，;；:：·、+＋_\-—~!！?？.。*#@&$%^=]+")
_NUM = r"[零一二三四五六七八九十百千万几两\d]+"
_SCHEDULE = re.compile(
    rf"(上{_NUM}休{_NUM}|做{_NUM}休{_NUM}|早{_NUM}晚{_NUM}|{_NUM}点(上|下)班|月休{_NUM}天|"
    rf"(周末)?[单双法]休|(提供|包|管|有)(吃住|食宿|住宿|宿舍|员工餐|工作餐|三餐|吃|住|饭|"
    rf"社保|五险一金|餐补|饭补|免费住宿)+|"
    rf"(接受)?(小白|无经验|生手|熟手|生熟手)[均皆都]?可|月(入|均|薪)(过)?{_NUM}[kK千万]?(起)?|"
    rf"(薪资|待遇|工资)面议|日结|周结|可兼职|兼职)"
)
# What employers ask of a person, not what the job is: dropped inside brackets ("（女）",
# "(18-45岁)", "（有经验优先）", "（持证）", "（大专及以上）", "（应届生可）").
_REQUIREMENTS = re.compile(
    r"^(男女不限|限?男性?|限?女性?|男女|宝妈|退伍军人|"
    r"\d+\s*[-~至到]\s*\d+\s*岁|\d+\s*岁(以下|以上|以内)?|年龄不限|"
    r"(有|无)?(相关)?经验(优先|不限)?|(\d+|[一二三四五六七八九十]+)年(以上)?(相关)?(工作)?(经验)?|"
    r"(初中|高中|中专|技校|大专|本科|硕士|博士|研究生)(学历)?(及以上|以上)?(学历)?|学历不限|"
    r"(可|限)?(应届生?|实习生?|在校生|学生)(可|优先)?|全职|兼职|急|急需|"
    r"(持|有|带)(证|相关证书?|上岗证)(上岗|优先)?|"
    r"(\d+|[一二两三四五六七八九十]+)(名|人|位)|若干(名)?)$"
)
_CODE_LIKE = re.compile(r"\b[a-zA-Z]+\d+[a-zA-Z]*\b")
_CODE_KEEP = frozenset({"3d", "ue4", "ue5", "a1", "a2", "b1", "b2", "c1", "c2", "s7", "h5"})
# Recruiting noise words as cscoder (MIT) lists them; used when its data file is installed.
_FALLBACK_STOPWORDS = [
    "急招",
    "直招",
    "代招",
    "急聘",
    "聘请",
    "直聘",
    "高薪",
    "高收入",
    "高薪资",
    "底薪",
    "五险",
    "六险",
    "一金",
    "二金",
    "年终奖",
    "提成",
    "轻松上手",
    "生熟手均可",
    "坐班",
    "长白班",
    "高提成",
    "社保",
    "500强",
    "五百强",
    "上市公司",
    "季度调薪",
    "餐补",
    "饭补",
    "工资高",
    "收入过万",
    "月薪过万",
    "月均过万",
    "月入过万",
    "分红",
    "不加班",
    "无责",
    "保底",
    "保障薪资",
]


@lru_cache(maxsize=1)
def _noise_words() -> re.Pattern[str]:
    words = set(_FALLBACK_STOPWORDS)
    try:
        from catalog.reference.pkgdata import package_data_path

        path = package_data_path("cscoder", "data", "stopwords.txt")
        words.update(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())
    except (OSError, RuntimeError):
        pass
    words.discard("大专学历")  # education words are information about a person, keep them
    # Words of real job titles: 社保专员, 分红险销售, 大厂房管理员.
    words.difference_update({"社保", "分红", "大厂", "小厂"})

    def pattern(word: str) -> str:
        # An ASCII word only as a whole word: "base" but not the "base" of Database.
        if word.isascii() and word.isalpha():
            return rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])"
        return re.escape(word)

    return re.compile("|".join(pattern(w) for w in sorted(words, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _places() -> re.Pattern[str]:
    """Region names (full and short, ≥ 2 characters) as they appear in titles."""
    from catalog.reference.regions import load_regions, short_name

    names: set[str] = set()
    for region in load_regions().all():
        if region.name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        names.add(region.name)
        short = short_name(region.name)
        if len(short) >= 2:
            names.add(short)
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def _strip_places(text: str) -> str:
    """Remove place names at the start or end of a title ("深圳电工", "电工南山区")."""
    pattern = _places()
    for _ in range(3):
        head = pattern.match(text)
        if head and len(text) - head.end() >= 2:
            text = text[head.end() :].lstrip(" -_·")
            continue
        break
    for _ in range(3):
        tail = re.search(rf"(?:{pattern.pattern})$", text)
        if tail and tail.start() >= 2:
            text = text[: tail.start()].rstrip(" -_·")
            continue
        break
    return text


def normalize(text: str | None) -> str:
    """NFKC, traditional → simplified, collapsed whitespace (see :mod:`catalog.text`)."""
    return normalize_text(text)


def _strip_tags(text: str) -> str:
    """Salary, schedule, benefit and noise words and stray codes, each replaced by a space."""
    text = _SCHEDULE.sub(" ", text)
    text = _SALARY.sub(" ", text)
    text = _SALARY_AMOUNT.sub(" ", text)
    text = _SALARY_K.sub(" ", text)
    text = _SALARY_WORDS.sub(" ", text)
    text = _BENEFITS.sub(" ", text)
    text = _noise_words().sub(" ", text)
    return _CODE_LIKE.sub(lambda m: m.group(0) if m.group(0).lower() in _CODE_KEEP else " ", text)


def _bracket_content(bracketed: str) -> str:
    """What a bracketed part of a title says about the job ("" if nothing).

    "技术员（注塑）", "项目经理(土建)", "客服专员【天猫】": the field of the job is kept, without
    the brackets. A place, salary, benefit, hiring word or a requirement of the person
    ("【深圳】", "（包吃住）", "(急聘)", "（女）", "(18-45岁)") is dropped.
    """
    inner = _HIRING.sub(" ", _strip_tags(bracketed[1:-1]))
    parts = [p for p in _SEPARATORS.split(inner) if p and not _REQUIREMENTS.match(p)]
    kept = " ".join(p for p in parts if not _places().fullmatch(p))
    return kept if re.search(r"[\u4e00-\u9fff]|[a-zA-Z]{2,}|[a-zA-Z]\d", kept) else ""


def clean_job_title(title: str | None) -> str:
    """Strip recruiting noise from a job title.

    Examples:
        "【深圳】急招电焊工（包吃住 8000-12000元/月）" → "电焊工";
        "XX机械有限公司招聘数控车床操作工" → "数控车床操作工";
        "技术员（注塑）" → "注塑 技术员" (a bracketed field of the job is kept, first).

    The result is never empty when the input had content: if stripping would remove
    everything, the normalised input is returned.
    """
    text = normalize(title)
    if not text:
        return ""
    original = text
    # A bracketed field is a modifier of the title: it goes first, so the title's head (技术员,
    # 经理) stays last, as in the unbracketed form ("技术员（注塑）" reads as 注塑技术员).
    fields = [f for f in map(_bracket_content, _BRACKETED.findall(text)) if f]
    text = _strip_tags(_BRACKETED.sub(" ", text))
    stripped = _COMPANY.sub("", text).strip()
    if len(stripped) >= 2:
        text = stripped
    text = _HIRING.sub(" ", text)
    text = _SEPARATORS.sub(" ", text).strip()
    text = _strip_places(text)
    text = " ".join([*fields, text]).strip()
    return text if len(text.replace(" ", "")) >= 2 else original
