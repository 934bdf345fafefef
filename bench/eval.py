"""Offline quality/speed benchmark for ``bot.text`` (``make eval``).

* BBC News Summary: ROUGE-1/2/Lsum F1 (rouge-score, Porter stemmer, sentences joined by
  newlines) of our 3-sentence summary, LEAD-3 and a plain TF-IDF sentence-centrality
  baseline against the reference extract.
* CNN/DailyMail (the 100-article sample): ROUGE-1/2/Lsum F1 of the same three against the
  articles' own highlights, and a 95% paired bootstrap interval of each one's ROUGE-1
  difference to LEAD-3.  ``--folds held-back`` keeps (of CNN/DailyMail and BBC) only the
  folds ``bench/tune_summary.py`` did not tune the shipped weights on.
* Lead-heavy news (a second CNN/DailyMail stand-in): the KPCrowd stories
  are AP-style broadcast news whose first line is the headline.  Summarise the rest and
  measure how many headline words (ROUGE-1 recall) the 3 sentences recover.  As on
  CNN/DailyMail, LEAD-3 beats plain centrality there by a wide margin (~10 points).
* 500N-KPCrowd: keyphrase F1@10 (lower-cased, Porter-stemmed exact phrase match) of our topic
  ranking (``extract_topics``, exactly what the bot uses) and of YAKE.
* Median milliseconds per article of every method, and the ratio to LEAD-3 / YAKE.
* Ingest throughput (``bench/ingest.py``): articles/s per stage, median of 3 runs, as a
  ratio to parse-only in the same process.

Data lives in ``../shared/data`` (relative to the repo root); missing files or packages are
reported and skipped with exit status 0.  ``--limit N`` evaluates the first N records;
``--half even|odd`` every other one (the topic weights were tuned on the even half of
KPCrowd, so its odd half is the held-out check).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
BBC = DATA / "bbc-news-summary.jsonl"
KPCROWD = DATA / "kpcrowd.jsonl"
CNNDM = DATA / "cnndm-train-sample.jsonl"

sys.path.insert(0, str(REPO))

from bot.text import extract_topics, split_sentences, summarize  # noqa: E402
from bot.text._lexicon import STOPWORDS  # noqa: E402

Row = dict[str, Any]


def load(path: Path, limit: int | None) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def timed(fn: Callable[[Row], Any], rows: Iterable[Row]) -> tuple[list[Any], float]:
    """Run ``fn`` on each row; return outputs and the median milliseconds per row."""
    outs: list[Any] = []
    times: list[float] = []
    for row in rows:
        t0 = time.perf_counter()
        outs.append(fn(row))
        times.append((time.perf_counter() - t0) * 1000.0)
    return outs, statistics.median(times) if times else 0.0


# --------------------------------------------------------------------------- summaries

_REF_SPLIT = re.compile(r"""([.!?]['"\u2019\u201d]?)(?=[A-Z"\u201c])""")
_WORD = re.compile(r"\w+")


def reference_sentences(summary: str) -> list[str]:
    """The BBC references glue sentences together ("profit.The firm"): split them again."""
    return [s.strip() for s in _REF_SPLIT.sub("\\1\n", summary).split("\n") if s.strip()]


def lead3(row: Row) -> list[str]:
    return split_sentences(row["body"])[:3]


def tfidf_centrality(row: Row) -> list[str]:
    """Plain baseline: in-document TF-IDF, sentence = mean cosine to the other sentences."""
    sents = split_sentences(row["body"])
    if len(sents) <= 3:
        return sents
    toks = [[w for w in _WORD.findall(s.lower()) if w not in STOPWORDS] for s in sents]
    df = Counter(w for t in toks for w in set(t))
    n = len(sents)
    vecs = []
    for t in toks:
        v = {w: c * (math.log((1 + n) / (1 + df[w])) + 1.0) for w, c in Counter(t).items()}
        nv = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({w: x / nv for w, x in v.items()})
    cent = [
        sum(sum(x * vecs[j].get(w, 0.0) for w, x in vecs[i].items()) for j in range(n) if j != i)
        for i in range(n)
    ]
    best = sorted(range(n), key=lambda i: -cent[i])[:3]
    return [sents[i] for i in sorted(best)]


def ours_summary(row: Row) -> list[str]:
    return summarize(row["body"], 3, title=row.get("title"))


def ours_both(row: Row) -> tuple[list[str], list[str]]:
    return summarize(row["body"], 3, title=row.get("title")), extract_topics(
        row["body"], 10, title=row.get("title")
    )


SUMMARISERS: list[tuple[str, Callable[[Row], list[str]]]] = [
    ("LEAD-3", lead3),
    ("TF-IDF centrality", tfidf_centrality),
    ("newsbot summarize(3)", ours_summary),
]


def eval_bbc(rows: list[Row]) -> list[tuple[str, str, str, float]]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    refs = ["\n".join(reference_sentences(r["summary"])) for r in rows]
    results: list[tuple[str, str, str, float]] = []
    for name, fn in SUMMARISERS:
        outs, ms = timed(fn, rows)
        agg: dict[str, list[float]] = {"rouge1": [], "rouge2": [], "rougeLsum": []}
        for ref, out in zip(refs, outs, strict=True):
            sc = scorer.score(ref, "\n".join(out))
            for k in agg:
                agg[k].append(sc[k].fmeasure * 100)
        metric = " / ".join(f"{statistics.fmean(agg[k]):.2f}" for k in agg)
        results.append((f"BBC ({len(rows)})", name, f"R1/R2/RLsum {metric}", ms))
    _, ms = timed(ours_both, rows)
    results.append((f"BBC ({len(rows)})", "newsbot summary+topics", "-", ms))
    return results


def bootstrap_interval(diffs: list[float], resamples: int = 10_000) -> tuple[float, float]:
    """95% interval of the mean of paired differences, by resampling articles (seeded)."""
    import random

    rng = random.Random(0)
    n = len(diffs)
    means = sorted(statistics.fmean(rng.choices(diffs, k=n)) for _ in range(resamples))
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def eval_cnndm(rows: list[Row]) -> list[tuple[str, str, str, float]]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    refs = ["\n".join(r["highlights"]) for r in rows]
    results: list[tuple[str, str, str, float]] = []
    lead_r1: list[float] = []
    for name, fn in SUMMARISERS:
        outs, ms = timed(fn, rows)
        agg: dict[str, list[float]] = {"rouge1": [], "rouge2": [], "rougeLsum": []}
        for ref, out in zip(refs, outs, strict=True):
            sc = scorer.score(ref, "\n".join(out))
            for k in agg:
                agg[k].append(sc[k].fmeasure * 100)
        metric = "R1/R2/RLsum " + " / ".join(f"{statistics.fmean(agg[k]):.2f}" for k in agg)
        if name == "LEAD-3":
            lead_r1 = agg["rouge1"]
        else:
            diffs = [a - b for a, b in zip(agg["rouge1"], lead_r1, strict=True)]
            low, high = bootstrap_interval(diffs)
            metric += f"; R1 vs LEAD-3 {statistics.fmean(diffs):+.2f} ({low:+.2f} to {high:+.2f})"
        results.append((f"CNN/DM ({len(rows)})", name, metric, ms))
    return results


def headline_rows(rows: list[Row]) -> list[Row]:
    """KPCrowd stories as (headline, body without it), for stories of 4+ sentences."""
    out = []
    for r in rows:
        head, _, rest = r["body"].partition("\n")
        if len(split_sentences(rest)) > 3:
            out.append({"body": rest, "headline": head})
    return out


def eval_headlines(rows: list[Row]) -> list[tuple[str, str, str, float]]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    results: list[tuple[str, str, str, float]] = []
    for name, fn in SUMMARISERS:
        outs, ms = timed(fn, rows)
        recall = statistics.fmean(
            scorer.score(r["headline"], "\n".join(out))["rouge1"].recall * 100
            for r, out in zip(rows, outs, strict=True)
        )
        results.append((f"KPCrowd headlines ({len(rows)})", name, f"R1 recall {recall:.2f}", ms))
    return results


# --------------------------------------------------------------------------- keyphrases

_KP_CLEAN = re.compile(r"[^a-z0-9' ]+")


def kp_normaliser() -> Callable[[str], str]:
    from nltk.stem.porter import PorterStemmer

    stemmer = PorterStemmer()

    def normalise(phrase: str) -> str:
        p = phrase.lower().replace("\u2019", "'").replace("-", "")
        p = _KP_CLEAN.sub(" ", p)
        words = [w[:-2] if w.endswith("'s") else w.strip("'") for w in p.split()]
        return " ".join(stemmer.stem(w) for w in words if w)

    return normalise


def f1_at_k(pred: list[str], gold: list[str], k: int, normalise: Callable[[str], str]) -> float:
    gold_set = {g for g in (normalise(x) for x in gold) if g}
    seen: list[str] = []
    for p in pred:
        n = normalise(p)
        if n and n not in seen:
            seen.append(n)
    top = seen[:k]
    if not top or not gold_set:
        return 0.0
    hits = sum(1 for p in top if p in gold_set)
    prec, rec = hits / len(top), hits / len(gold_set)
    return 0.0 if hits == 0 else 2 * prec * rec / (prec + rec)


def eval_kpcrowd(rows: list[Row]) -> list[tuple[str, str, str, float]]:
    normalise = kp_normaliser()
    methods: list[tuple[str, Callable[[Row], list[str]]]] = [
        ("newsbot extract_topics(10)", lambda r: extract_topics(r["body"], 10))
    ]
    try:
        import yake

        extractor = yake.KeywordExtractor(lan="en", n=1, top=10)
        methods.insert(
            0, ("YAKE (n=1)", lambda r: [k for k, _ in extractor.extract_keywords(r["body"])])
        )
    except ImportError:
        print("skip YAKE: package 'yake' not installed")
    results = []
    for name, fn in methods:
        outs, ms = timed(fn, rows)
        f1 = statistics.fmean(
            f1_at_k(o, r["keyphrases"], 10, normalise) for o, r in zip(outs, rows, strict=True)
        )
        results.append((f"KPCrowd ({len(rows)})", name, f"F1@10 {f1 * 100:.2f}", ms))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--limit", type=int, default=None, help="evaluate only the first N records")
    ap.add_argument("--only", choices=["bbc", "cnndm", "kpcrowd", "ingest"], default=None)
    ap.add_argument(
        "--folds",
        choices=["tuning", "held-back"],
        default=None,
        help="CNN/DM and BBC: only the folds the summary weights were (not) tuned on",
    )
    ap.add_argument(
        "--half",
        choices=["even", "odd"],
        default=None,
        help="only the even- or odd-indexed records (topic weights: tuned on KPCrowd's even half)",
    )
    args = ap.parse_args(argv)

    def records(path: Path) -> list[Row]:
        rows = load(path, args.limit)
        if args.folds is not None and path in (BBC, CNNDM):
            from bench.tune_summary import SHIPPED_FOLDS, K

            tuned = args.folds == "tuning"
            rows = [r for i, r in enumerate(rows) if (i % K in SHIPPED_FOLDS) == tuned]
        return rows if args.half is None else rows[args.half == "odd" :: 2]

    rows: list[tuple[str, str, str, float]] = []
    for name, label, path, evaluate in (
        ("bbc", "BBC", BBC, eval_bbc),
        ("cnndm", "CNN/DM", CNNDM, eval_cnndm),
    ):
        if args.only not in (None, name):
            continue
        if not path.exists():
            print(f"skip {label}: {path} not found")
            continue
        try:
            rows += evaluate(records(path))
        except ImportError as exc:
            print(f"skip {label}: {exc} (pip install rouge-score)")
    if args.only in (None, "kpcrowd"):
        if not KPCROWD.exists():
            print(f"skip KPCrowd: {KPCROWD} not found")
        else:
            kpcrowd = records(KPCROWD)
            try:
                if headlines := headline_rows(kpcrowd):
                    rows += eval_headlines(headlines)
            except ImportError as exc:
                print(f"skip KPCrowd headlines: {exc} (pip install rouge-score)")
            try:
                rows += eval_kpcrowd(kpcrowd)
            except ImportError as exc:
                print(f"skip KPCrowd: {exc} (pip install nltk yake)")
    if args.only in (None, "ingest"):
        from bench import ingest

        ingest.main(["--runs", "3"])
    if not rows:
        return 0
    base: dict[str, float] = {}
    for data, name, _, ms in rows:
        if name.startswith(("LEAD-3", "YAKE")):
            base[data] = ms
    header = ("data", "method", "quality", "ms/article", "x baseline")
    table = [
        (d, n, q, f"{ms:.3f}", f"{ms / base[d]:.2f}" if base.get(d) else "-")
        for d, n, q, ms in rows
    ]
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *table]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    print("x baseline: speed ratio vs LEAD-3 (summaries) / YAKE (KPCrowd) in the same process")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
