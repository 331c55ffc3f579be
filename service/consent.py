"""The consent text a person agrees to before their data is recorded, and its version.

The version is stored with each person (``consent_text_version``); change it whenever the text
changes, so it is always known which wording someone agreed to.
"""

from __future__ import annotations

CONSENT_TEXT_VERSION = "2025-01"
CONSENT_TEXT = (
    "本人同意就业服务机构为提供职业技能培训推荐和跟踪服务，记录本人的身份证号码（仅保存脱敏形式和"
    "不可还原的校验值）、手机号码（同上）、人员类别和所在地区，并在培训报名、结业、取证和就业情况"
    "的跟踪中使用。上述信息不向无关单位提供；超过保存期限且无新的服务记录时予以删除。"
)
