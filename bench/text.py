"""CPU time of ``prepare_article`` (summary and topics) against an earlier commit
(``python -m bench.text --baseline REV``).

Each run is a fresh process.  It prepares the even-indexed BBC articles starting with empty
word caches, as each worker of a real ``newsbot ingest`` does ("cold"), then the odd-indexed
ones with the caches that the first half filled ("warm": new articles, so nothing is reused
that a real run could not reuse), and reports the CPU time per article of each half.  Runs
of this tree and of ``REV`` (its ``bot`` package from ``git archive``) alternate, and the
medians are printed with their ratio ``REV / this tree``: on a shared, noisy machine a ratio
measured this way holds up better than absolute times.  Without ``--baseline`` only this
tree runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BBC = REPO.parent / "shared" / "data" / "bbc-news-summary.jsonl"


def worker(root: Path, path: Path, limit: int | None) -> None:
    """Prepare the even-, then the odd-indexed articles with the ``bot`` package under
    ``root``; print the CPU seconds per article of each half as JSON."""
    sys.path.insert(0, str(root))
    import datetime as dt

    from bot.ingest.derive import prepare_article
    from bot.models import Article

    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()][:limit]
    articles = [
        Article(
            title=r["title"],
            date=dt.date(2005, 1, 1),
            body=r["body"],
            source=f"{path.name}:{i}",
            content_hash=str(i),
        )
        for i, r in enumerate(rows)
    ]
    seconds = []
    for half in (articles[::2], articles[1::2]):  # cold, warm
        t0 = time.process_time()
        for article in half:
            prepare_article(article)
        seconds.append((time.process_time() - t0) / len(half))
    print(json.dumps(seconds))


def run(root: Path, path: Path, limit: int | None) -> list[float]:
    cmd = [sys.executable, "-m", "bench.text", "--worker", str(root), "--path", str(path)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
    seconds: list[float] = json.loads(out)
    return seconds


def checkout(rev: str, into: Path) -> None:
    """The ``bot`` package of commit ``rev``, extracted under ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "bot"], cwd=REPO, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--baseline", metavar="REV", help="commit to compare with, e.g. HEAD~1")
    ap.add_argument("--runs", type=int, default=5, help="runs of each tree (default 5)")
    ap.add_argument("--path", type=Path, default=BBC)
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        worker(args.worker, args.path, args.limit)
        return 0
    if not args.path.exists():
        print(f"skip text bench: {args.path} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": REPO}
        if args.baseline:
            checkout(args.baseline, Path(tmp))
            trees = {args.baseline: Path(tmp), **trees}
        times: dict[str, list[list[float]]] = {name: [] for name in trees}
        for i in range(args.runs):
            # Alternate which tree goes first, so that a slow spell hits both alike.
            order = list(trees) if i % 2 == 0 else list(trees)[::-1]
            for name in order:
                times[name].append(run(trees[name], args.path, args.limit))
    medians = {
        name: [statistics.median(run[k] for run in runs) for k in (0, 1)]
        for name, runs in times.items()
    }
    print(f"prepare_article on {args.path.name}, CPU ms per article, median of {args.runs} runs")
    print(f"{'tree':<12}  {'cold':>6}  {'warm':>6}")
    for name, (cold, warm) in medians.items():
        print(f"{name:<12}  {cold * 1e3:6.3f}  {warm * 1e3:6.3f}")
    if args.baseline:
        (old_cold, old_warm), (new_cold, new_warm) = medians.values()
        print(
            f"ratio {args.baseline} / this tree: cold {old_cold / new_cold:.3f}, "
            f"warm {old_warm / new_warm:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
