"""A job-seeker's profile as the matching engine sees it: validated and normalised."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Education, Group
from catalog.reference.ladder import SkillLevel, parse_level
from catalog.reference.regions import Region, RegionIndex
from indexing.textnorm import normalize
from indexing.typos import expand_typos

MAX_TEXT = 1000


class ProfileError(ValueError):
    """A profile field is invalid; ``field`` names it, the message is plain Chinese."""

    def __init__(self, field: str, message: str) -> None:
        """Create the error for ``field``."""
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Profile:
    """A normalised profile.

    Attributes:
        group: The key group.
        age: Age in years (16–75).
        education: Highest education, if given.
        region: The home region (resolved from a code or an address).
        relocate: Willing to train or work outside the home city.
        online_only: Can only attend online.
        text: The person's words, normalised (NFKC, simplified characters), followed by the
            trade words their likely typos stand for (see ``indexing.typos``).
        current_level: Current rung on the skill ladder, if given.
        limit: How many results to return.
    """

    group: str
    age: int
    education: str | None
    region: Region
    relocate: bool
    online_only: bool
    text: str
    current_level: SkillLevel | None
    limit: int


def build_profile(
    *,
    regions: RegionIndex,
    group: str,
    age: int,
    region_code: str | None = None,
    address: str | None = None,
    education: str | None = None,
    relocate: bool = False,
    online_only: bool = False,
    text: str = "",
    current_level: str | None = None,
    limit: int = 10,
) -> Profile:
    """Validate and normalise profile fields.

    Raises:
        ProfileError: For the first invalid field, with a Chinese message.
    """
    if group not in {g.value for g in Group}:
        raise ProfileError("group", f"人员类别“{group}”无效")
    if not 16 <= age <= 75:
        raise ProfileError("age", "年龄须在 16 至 75 岁之间")
    if education is not None and education not in {e.value for e in Education}:
        raise ProfileError(
            "education",
            f"学历“{education}”无效，可选：小学、初中、高中、中专、大专、本科、硕士、博士",
        )
    if not 1 <= limit <= 50:
        raise ProfileError("limit", "返回数量须在 1 至 50 之间")
    if text and len(text) > MAX_TEXT:
        raise ProfileError("text", f"自我描述不能超过 {MAX_TEXT} 字")
    region: Region | None = None
    if region_code:
        region = regions.get(region_code.strip())
        if region is None or not region.mainland:
            raise ProfileError("region_code", f"地区代码“{region_code}”不存在")
    elif address:
        region = regions.resolve_address(address)
        if region is None or not region.mainland:
            raise ProfileError("address", f"无法从地址“{address}”识别所在地区，请选择地区")
    else:
        raise ProfileError("region_code", "请填写所在地区（地区代码或地址）")
    level: SkillLevel | None = None
    if current_level:
        level = parse_level(current_level)
        if level is None:
            raise ProfileError("current_level", f"技能等级“{current_level}”无法识别")
    return Profile(
        group=group,
        age=age,
        education=education,
        region=region,
        relocate=relocate,
        online_only=online_only,
        text=expand_typos(normalize(text)[:MAX_TEXT]),
        current_level=level,
        limit=limit,
    )
