"""Set the summariser's weights by cross-validation over CNN/DailyMail and BBC
(``python -m bench.tune_summary``).

Both corpora are split into ``K`` folds (article ``i`` is in fold ``i % K``).  For each fold,
a grid search picks the weights on the other folds by ROUGE-1 F1 (``objective``: at least
LEAD-3 on CNN/DailyMail, the news a bot shows, and then the best BBC score); the fold itself
is then scored with them.  Tuning-fold and held-back scores are printed separately, with
LEAD-3 on the same articles.  The weights shipped in ``bot/text/summary.py`` are the ones
this search picks on the folds ``SHIPPED_FOLDS`` (``--ship``); ``make eval`` reports the
other folds as the held-back check (``python -m bench.eval --folds held-back``).

ROUGE-1 here is rouge-score's (its tokeniser and Porter stemmer), computed from cached
per-sentence tokens, so that a grid of hundreds of weightings runs in a minute or two.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from bot.text import split_sentences  # noqa: E402
from bot.text.summary import (  # noqa: E402
    WEIGHTS,
    Features,
    Weights,
    candidates,
    features,
    pick,
)

K = 5
SHIPPED_FOLDS = (0, 1, 2)  # the weights in the code were tuned on these; 3 and 4 held back
SUMMARY_SENTENCES = 3

GRID: dict[str, Sequence[float]] = {
    "tau": (2.0, 3.0),
    "prior_floor": (0.5, 0.7),
    "lead_adapt": (1.0, 1.5),
    "short": (10.0, 15.0),
    "backward": (0.5, 1.0),
    "quote": (0.5, 0.75),
    "redundancy": (0.6, 1.0),
}
FIXED = {"len_full": 30.0, "title": 0.3}


@dataclass
class Doc:
    corpus: str
    index: int
    features: Features
    tokens: list[Counter[str]]  # stemmed tokens of each candidate sentence
    ref: Counter[str]
    lead3: float  # ROUGE-1 F1 of the first three sentences


def _tokeniser():  # type: ignore[no-untyped-def]
    from nltk.stem import porter
    from rouge_score import tokenize

    stemmer = porter.PorterStemmer()
    cache: dict[str, Counter[str]] = {}

    def tokens(text: str) -> Counter[str]:
        if text not in cache:
            cache[text] = Counter(tokenize.tokenize(text, stemmer))
        return cache[text]

    return tokens


def rouge1(summary: Iterable[Counter[str]], ref: Counter[str]) -> float:
    got: Counter[str] = Counter()
    for t in summary:
        got.update(t)
    overlap = sum((got & ref).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(got.values()), overlap / sum(ref.values())
    return 200 * p * r / (p + r)


def load_docs() -> list[Doc]:
    from bench.eval import reference_sentences as bbc_reference

    tokens = _tokeniser()
    docs: list[Doc] = []
    sources = [
        ("cnndm", DATA / "cnndm-train-sample.jsonl", lambda r: " ".join(r["highlights"])),
        ("bbc", DATA / "bbc-news-summary.jsonl", lambda r: " ".join(bbc_reference(r["summary"]))),
    ]
    for corpus, path, ref_of in sources:
        with path.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for i, row in enumerate(rows):
            title = row.get("title")
            cands = candidates(row["body"], title)
            ref = tokens(ref_of(row))
            lead = [tokens(s) for s in split_sentences(row["body"])[:SUMMARY_SENTENCES]]
            docs.append(
                Doc(
                    corpus,
                    i,
                    features(cands, title),
                    [tokens(s) for s in cands],
                    ref,
                    rouge1(lead, ref),
                )
            )
    return docs


def score(doc: Doc, w: Weights) -> float:
    if len(doc.tokens) <= SUMMARY_SENTENCES:
        return rouge1(doc.tokens, doc.ref)
    chosen = pick(doc.features, SUMMARY_SENTENCES, w)
    return rouge1((doc.tokens[i] for i in chosen), doc.ref)


def means(docs: list[Doc], w: Weights) -> dict[str, tuple[float, float]]:
    """Per corpus: (our mean ROUGE-1, LEAD-3's)."""
    out: dict[str, tuple[float, float]] = {}
    for corpus in ("cnndm", "bbc"):
        some = [d for d in docs if d.corpus == corpus]
        if some:
            out[corpus] = (
                statistics.fmean(score(d, w) for d in some),
                statistics.fmean(d.lead3 for d in some),
            )
    return out


def objective(docs: list[Doc], w: Weights) -> tuple[bool, float]:
    """News first: at least LEAD-3 on CNN/DailyMail; then the best BBC score (or, when no
    weighting reaches LEAD-3, the smallest shortfall)."""
    m = means(docs, w)
    ours, lead = m["cnndm"]
    return (ours >= lead, m["bbc"][0] if ours >= lead else ours - lead)


def grid() -> list[Weights]:
    names = list(GRID)
    return [
        replace(WEIGHTS, **FIXED, **dict(zip(names, values, strict=True)))
        for values in itertools.product(*(GRID[n] for n in names))
    ]


def tune(docs: list[Doc]) -> Weights:
    return max(grid(), key=lambda w: objective(docs, w))


def in_folds(docs: list[Doc], folds: Iterable[int]) -> list[Doc]:
    wanted = set(folds)
    return [d for d in docs if d.index % K in wanted]


def show(label: str, docs: list[Doc], w: Weights) -> None:
    parts = [
        f"{corpus} {ours:.2f} (LEAD-3 {lead:.2f}, {ours - lead:+.2f})"
        for corpus, (ours, lead) in means(docs, w).items()
    ]
    print(f"  {label:<10} " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--ship", action="store_true", help="only tune on SHIPPED_FOLDS")
    args = ap.parse_args(argv)
    docs = load_docs()
    print(f"{len(grid())} weightings; ROUGE-1 F1 at {SUMMARY_SENTENCES} sentences")
    print(f"shipped weights {WEIGHTS}")
    show("all", docs, WEIGHTS)
    show("tuning", in_folds(docs, SHIPPED_FOLDS), WEIGHTS)
    show("held-back", in_folds(docs, set(range(K)) - set(SHIPPED_FOLDS)), WEIGHTS)
    if args.ship:
        best = tune(in_folds(docs, SHIPPED_FOLDS))
        print(f"tuned on folds {SHIPPED_FOLDS}: {best}")
        show("tuning", in_folds(docs, SHIPPED_FOLDS), best)
        show("held-back", in_folds(docs, set(range(K)) - set(SHIPPED_FOLDS)), best)
        return 0
    for fold in range(K):
        rest = [f for f in range(K) if f != fold]
        best = tune(in_folds(docs, rest))
        print(f"fold {fold}: {best}")
        show("tuning", in_folds(docs, rest), best)
        show("held-back", in_folds(docs, [fold]), best)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
