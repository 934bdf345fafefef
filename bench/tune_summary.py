"""Fit the summariser's weights by cross-validation over CNN/DailyMail and BBC
(``python -m bench.tune_summary``).

The scorer is a logistic regression over the per-sentence inputs ``bot.text.summary.rows``
(centrality, position, length, headline overlap, surface cues), fitted with Newton's method
to each article's greedy ROUGE-1 oracle: the sentences that, added one at a time, raise the
3-sentence summary's ROUGE-1 F1 most.  CNN/DailyMail has 100 articles and BBC 2,225, so a
CNN/DailyMail article weighs ``CNN_WEIGHT`` x (BBC articles / CNN/DailyMail articles); that
one number is the only thing chosen by score, from ``CNN_WEIGHTS``, by ``objective``: at
least LEAD-3 on CNN/DailyMail, the news a bot shows, and then the best BBC score.

Both corpora are split into ``K`` folds (article ``i`` is in fold ``i % K``).  ``--ship``
fits on the folds ``SHIPPED_FOLDS`` and prints the tuning folds and the held-back folds
separately, with LEAD-3 on the same articles; its coefficients are the ones in
``bot/text/summary.py`` (``make eval`` reports the held-back folds with
``python -m bench.eval --folds held-back``).  Without ``--ship``, each fold in turn is held
back and the rest tuned on.  Everything is deterministic: no sampling, no random start.

ROUGE-1 here is rouge-score's (its tokeniser and Porter stemmer), computed from cached
per-sentence tokens.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    rows,
)

K = 5
SHIPPED_FOLDS = (0, 1, 2)  # the weights in the code were tuned on these; 3 and 4 held back
SUMMARY_SENTENCES = 3

CNN_WEIGHTS = tuple(1.0 + 0.25 * i for i in range(9))  # 1.0 .. 3.0
L2 = 1e-3  # ridge penalty per unit of sample weight, so that no coefficient runs away


@dataclass
class Doc:
    corpus: str
    index: int
    features: Features
    tokens: list[Counter[str]]  # stemmed tokens of each candidate sentence
    ref: Counter[str]
    lead3: float  # ROUGE-1 F1 of the first three sentences
    x: np.ndarray  # rows(features), one per candidate sentence
    y: np.ndarray  # 1 for the sentences of the greedy oracle


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
        with path.open(encoding="utf-8") as lines:
            records = [json.loads(line) for line in lines if line.strip()]
        for i, row in enumerate(records):
            title = row.get("title")
            cands = candidates(row["body"], title)
            ref = tokens(ref_of(row))
            lead = [tokens(s) for s in split_sentences(row["body"])[:SUMMARY_SENTENCES]]
            f = features(cands, title)
            toks = [tokens(s) for s in cands]
            y = np.zeros(len(cands))
            y[oracle(toks, ref)] = 1.0
            docs.append(Doc(corpus, i, f, toks, ref, rouge1(lead, ref), np.array(rows(f)), y))
    return docs


def oracle(tokens: list[Counter[str]], ref: Counter[str]) -> list[int]:
    """The sentences that, added one at a time, raise ROUGE-1 F1 most (at most 3)."""
    chosen: list[int] = []
    best = 0.0
    for _ in range(SUMMARY_SENTENCES):
        gains = [
            (rouge1((tokens[j] for j in [*chosen, i]), ref), -i)
            for i in range(len(tokens))
            if i not in chosen
        ]
        if not gains or max(gains)[0] <= best:
            break
        best, i = max(gains)
        chosen.append(-i)
    return chosen


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


def fit(docs: list[Doc], cnn_weight: float) -> Weights:
    """Logistic regression of the oracle labels on ``rows``, by Newton's method."""
    docs = [d for d in docs if len(d.tokens) > SUMMARY_SENTENCES]
    n_bbc = sum(d.corpus == "bbc" for d in docs)
    n_cnn = len(docs) - n_bbc
    x = np.concatenate([d.x for d in docs])
    y = np.concatenate([d.y for d in docs])
    per_doc = [cnn_weight * n_bbc / n_cnn if d.corpus == "cnndm" else 1.0 for d in docs]
    weight = np.concatenate([np.full(len(d.y), w) for d, w in zip(docs, per_doc, strict=True)])
    ridge = L2 * weight.sum() * np.eye(x.shape[1])
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-x @ beta))
        gradient = x.T @ (weight * (p - y)) + ridge @ beta
        hessian = (x * (weight * p * (1.0 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Weights(coef=tuple(round(float(b), 3) for b in beta), redundancy=WEIGHTS.redundancy)


def tune(docs: list[Doc]) -> tuple[float, Weights]:
    """The CNN/DailyMail weight (and its fit) that ``objective`` likes best on ``docs``."""
    fits = [(cw, fit(docs, cw)) for cw in CNN_WEIGHTS]
    return max(fits, key=lambda cw_w: objective(docs, cw_w[1]))


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
    print(f"CNN/DailyMail weights {CNN_WEIGHTS}; ROUGE-1 F1 at {SUMMARY_SENTENCES} sentences")
    print(f"shipped weights {WEIGHTS}")
    show("all", docs, WEIGHTS)
    show("tuning", in_folds(docs, SHIPPED_FOLDS), WEIGHTS)
    show("held-back", in_folds(docs, set(range(K)) - set(SHIPPED_FOLDS)), WEIGHTS)
    if args.ship:
        cw, best = tune(in_folds(docs, SHIPPED_FOLDS))
        print(f"tuned on folds {SHIPPED_FOLDS}: CNN/DailyMail weight {cw}, {best}")
        show("tuning", in_folds(docs, SHIPPED_FOLDS), best)
        show("held-back", in_folds(docs, set(range(K)) - set(SHIPPED_FOLDS)), best)
        return 0
    for fold in range(K):
        rest = [f for f in range(K) if f != fold]
        cw, best = tune(in_folds(docs, rest))
        print(f"fold {fold}: CNN/DailyMail weight {cw}, {best}")
        show("tuning", in_folds(docs, rest), best)
        show("held-back", in_folds(docs, [fold]), best)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
