"""Multi-article digests with MMR redundancy control."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.text._lexicon import terms
from bot.text.sentences import split_sentences
from bot.text.summary import Vector, cosine, features, norm, tfidf
from bot.text.summary import scores as score_of

__all__ = ["DigestInput", "DigestSentence", "digest"]

PER_ARTICLE: Final = 3
LAMBDA: Final = 0.7  # MMR trade-off: relevance vs novelty
DUPLICATE: Final = 0.5  # cosine above which a sentence says the same thing again


@dataclass(frozen=True, slots=True)
class DigestInput:
    article_id: int
    title: str
    body: str
    summary: tuple[str, ...] = ()  # precomputed summary sentences, if any


@dataclass(frozen=True, slots=True)
class DigestSentence:
    article_id: int
    text: str


def digest(articles: Sequence[DigestInput], sentences: int = 5) -> list[DigestSentence]:
    """Pick ``sentences`` sentences summarising a set of articles, without repeating itself.

    Candidates are each article's top sentences (its precomputed summary when given).  A
    candidate's relevance is its in-article score times its similarity to the whole set's
    centroid (what the set is about); Maximal Marginal Relevance then picks greedily
    ``LAMBDA * relevance - (1 - LAMBDA) * max similarity to what is already picked``, and
    near-duplicates (cosine > ``DUPLICATE``) of a picked sentence are never picked.
    Output is in pick order (most important first), each sentence linked to its article.
    """
    if sentences <= 0:
        return []
    cands: list[tuple[int, str, float, Vector, float]] = []
    for art in articles:
        sents = list(art.summary) or split_sentences(art.body)[:40]
        if not sents and art.title.strip():
            sents = [art.title.strip()]
        if not sents:
            continue
        if art.summary:
            scores = [1.0 / (1 + i) for i in range(len(sents))]
        else:
            scores = score_of(features(sents, art.title or None))
        order = sorted(range(len(sents)), key=lambda i: -scores[i])[:PER_ARTICLE]
        top = max(scores[i] for i in order) or 1.0
        for rank, i in enumerate(order):
            vec = tfidf(terms(sents[i]))
            rel = scores[i] / top / (1 + 0.5 * rank)
            cands.append((art.article_id, sents[i], rel, vec, norm(vec)))
    if not cands:
        return []
    centroid: Vector = {}
    for _, _, _, vec, nv in cands:
        for k, x in vec.items():
            centroid[k] = centroid.get(k, 0.0) + x / (nv or 1.0)
    c_norm = norm(centroid)
    relevance = [r * (0.5 + cosine(v, centroid, nv, c_norm)) for _, _, r, v, nv in cands]
    top_rel = max(relevance) or 1.0
    relevance = [r / top_rel for r in relevance]
    chosen: list[int] = []
    remaining = set(range(len(cands)))
    while remaining and len(chosen) < sentences:
        best, best_val = -1, float("-inf")
        for i in sorted(remaining):
            sim = max(
                (cosine(cands[i][3], cands[j][3], cands[i][4], cands[j][4]) for j in chosen),
                default=0.0,
            )
            if sim > DUPLICATE:
                continue
            val = LAMBDA * relevance[i] - (1 - LAMBDA) * sim
            if val > best_val:
                best, best_val = i, val
        if best < 0:
            break
        chosen.append(best)
        remaining.discard(best)
    return [DigestSentence(cands[i][0], cands[i][1]) for i in chosen]
