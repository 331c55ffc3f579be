"""Normalisation of query and document text, shared by indexing and queries.

:func:`normalize` folds width and script (NFKC, traditional → simplified) so that
"電焊工（２級）" and "电焊工(2级)" become the same string. :func:`clean_job_title` also strips the
noise recruiting titles carry: company names, "急招/诚聘", bracketed cities, salary and
benefit tags.
"""

from __future__ import annotations

import re

from catalog.text import normalize_text

_BRACKETED = re.compile(r"[\[【(（<《{][^\]】)）>》}]{0,20}[\]】)）>》}]")
_SALARY = re.compile(
    r"(\d+(\.\d+)?\s*[kKwW千万]?\s*[-~至到]\s*)?\d+(\.\d+)?\s*[kKwW千万]?\s*"
    r"(元|块)?\s*(/|每)?\s*(月|天|日|时|小时|年|薪)(?:薪)?"
)
_SALARY_K = re.compile(r"\d+(\.\d+)?\s*[kKwW]\s*([-~至到]\s*\d+(\.\d+)?\s*[kKwW])?(?![a-zA-Z])")
_SALARY_WORDS = re.compile(r"(月薪|年薪|日薪|底薪|时薪|薪资|工资)\s*(过万|面议|\d+[kKwW千万]?\+?)?")
_COMPANY = re.compile(
    r"^.{2,30}?(有限责任公司|股份有限公司|有限公司|集团公司|集团|公司)"
    r"(?=.{2,})"
)
_HIRING = re.compile(r"(高薪|急聘|急招|诚聘|直招|热招|招聘|招|聘请|聘|诚邀|寻找|需要|求)\s*")
_BENEFITS = re.compile(
    r"(包吃包住|包吃住|包住|包吃|五险一金|六险一金|五险|双休|单休|大小周|长白班|两班倒|"
    r"做六休一|提成|年终奖|可实习|接受小白|无经验可|经验不限|学历不限|男女不限|限男|限女|"
    r"名额有限|多名|若干|\d+\s*名|\d+\s*人)"
)
_SEPARATORS = re.compile(r"[\s/|,，;；:：·、+＋_\-—~]+")


def normalize(text: str | None) -> str:
    """NFKC, traditional → simplified, collapsed whitespace (see :mod:`catalog.text`)."""
    return normalize_text(text)


def clean_job_title(title: str | None) -> str:
    """Strip recruiting noise from a job title.

    Examples:
        "【深圳】急招电焊工（包吃住 8000-12000元/月）" → "电焊工";
        "XX机械有限公司招聘数控车床操作工" → "数控车床操作工".

    The result is never empty when the input had content: if stripping would remove
    everything, the normalised input is returned.
    """
    text = normalize(title)
    if not text:
        return ""
    original = text
    text = _BRACKETED.sub(" ", text)
    text = _SALARY.sub(" ", text)
    text = _SALARY_K.sub(" ", text)
    text = _SALARY_WORDS.sub(" ", text)
    text = _BENEFITS.sub(" ", text)
    stripped = _COMPANY.sub("", text).strip()
    if len(stripped) >= 2:
        text = stripped
    text = _HIRING.sub(" ", text)
    text = _SEPARATORS.sub(" ", text).strip()
    return text if len(text.replace(" ", "")) >= 2 else original
