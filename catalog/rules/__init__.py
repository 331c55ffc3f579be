"""Rules as data and the eligibility engine.

Regional eligibility and subsidy parameters live in TOML files under ``catalog/data/rules``
(national defaults, province and city overrides); :func:`load_rules` reads and validates them
once; :class:`DemandLookup` indexes a snapshot's demand directory; :func:`evaluate` says which
rules pass and fail for one person, course and session, the subsidy and what the person pays.
See ``docs/RULES.md``.
"""

from __future__ import annotations

from catalog.rules.demand import DemandLookup, DirectoryEntry
from catalog.rules.engine import Check, CourseLike, Eligibility, Person, SessionLike, evaluate
from catalog.rules.loader import (
    NATIONAL_REGION,
    GroupParams,
    LayerInfo,
    RateParams,
    RegionRules,
    RuleSet,
    load_rules,
    read_rules,
)

__all__ = [
    "NATIONAL_REGION",
    "Check",
    "CourseLike",
    "DemandLookup",
    "DirectoryEntry",
    "Eligibility",
    "GroupParams",
    "LayerInfo",
    "Person",
    "RateParams",
    "RegionRules",
    "RuleSet",
    "SessionLike",
    "evaluate",
    "load_rules",
    "read_rules",
]
