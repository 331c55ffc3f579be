"""Occupation normalisation: what the lexical channel knows from the classification itself."""

from __future__ import annotations

import pytest

from catalog.reference.occupations import load_occupations
from indexing.corpus import lexical_document
from indexing.occupations import OccupationSearcher


@pytest.fixture(scope="module")
def lexical_only() -> OccupationSearcher:
    return OccupationSearcher.build(None)


def test_a_leaf_document_carries_its_minor_category_name_and_aliases() -> None:
    occupations = load_occupations()
    leaf = occupations.get("2-02-07-01")
    category = occupations.get("2-02-07-00")
    assert leaf is not None and category is not None and "机械工程师" in category.aliases
    assert "机械工程师" not in lexical_document(leaf, [])
    document = lexical_document(leaf, [], category)
    assert "机械工程师" in document and category.name in document


def test_a_title_the_classification_gives_only_to_a_category_finds_its_leaves(
    lexical_only: OccupationSearcher,
) -> None:
    # "EHS工程师" is a recruiting alias of the category 2-02-28 安全工程技术人员 only.
    codes = [h.code for h in lexical_only.rank("EHS工程师", k=3, mode="lexical")]
    assert codes and all(c.startswith("2-02-28-") for c in codes[:2]), codes
