"""Soft ranking preferences of the policy's key groups (``catalog/data/group_preferences.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from catalog.models import Group
from catalog.reference.sectors import load_sectors


@dataclass(frozen=True)
class GroupPreference:
    """Occupations a group is steered towards (``boost``) or away from (``penalty``).

    Attributes:
        group: The group.
        age_min: Lowest age the preference applies to.
        age_max: Highest age the preference applies to.
        prefer: Leaf codes preferred.
        avoid: Leaf codes avoided.
        boost: Added to the score of a preferred course.
        penalty: Subtracted from the score of an avoided course.
        reason: Plain-Chinese reason shown with a boosted course.
    """

    group: Group
    age_min: int
    age_max: int
    prefer: frozenset[str]
    avoid: frozenset[str]
    boost: float
    penalty: float
    reason: str

    def applies(self, group: str, age: int) -> bool:
        """Whether this preference is about a person of ``group`` and ``age``."""
        return self.group.value == group and self.age_min <= age <= self.age_max


def _codes(keys: list[str]) -> frozenset[str]:
    sectors = load_sectors()
    by_key: dict[str, frozenset[str]] = {}
    for s in sectors:
        by_key[s.key] = frozenset(s.occupations)
        for sub in s.subdomains:
            by_key[sub.key] = frozenset(sub.occupations)
    out: set[str] = set()
    for key in keys:
        if key not in by_key:
            raise ValueError(f"group_preferences.toml: unknown sector or sub-domain {key!r}")
        out |= by_key[key]
    return frozenset(out)


@lru_cache(maxsize=1)
def load_preferences() -> tuple[GroupPreference, ...]:
    """All group preferences (validated: groups and sector keys must exist)."""
    text = (resources.files("catalog") / "data" / "group_preferences.toml").read_text("utf-8")
    out = []
    for raw in tomllib.loads(text).get("preference", []):
        out.append(
            GroupPreference(
                group=Group(raw["group"]),
                age_min=int(raw.get("age_min", 0)),
                age_max=int(raw.get("age_max", 200)),
                prefer=_codes(list(raw.get("prefer", []))),
                avoid=_codes(list(raw.get("avoid", []))),
                boost=float(raw.get("boost", 0.0)),
                penalty=float(raw.get("penalty", 0.0)),
                reason=str(raw.get("reason", "")),
            )
        )
    return tuple(out)


def preferences_for(group: str, age: int) -> tuple[GroupPreference, ...]:
    """The preferences that apply to a person."""
    return tuple(p for p in load_preferences() if p.applies(group, age))
