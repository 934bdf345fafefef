"""A large news archive with topics as varied as real news, built from ``../shared/data``.

Copying the 2,225 BBC articles 45 times gives 45 copies of each story and only about
12,000 distinct topics; real archives keep meeting new people, places and companies.
So each article here is recombined:

* a **lead**: the title and first paragraph of one real article (BBC, CNN/Daily Mail or
  KPCrowd), so headlines and ledes read like news;
* **3-6 more paragraphs** (CNN/DM and KPCrowd stories, which have none, are cut into
  chunks of three sentences) until the body is about 2.4 KB: two thirds from stories of
  the same category (so an article stays roughly on one subject), the rest from any;
* **names varied**: every capitalised name of two or three words in the article
  ("Gordon Brown", "Time Warner") is replaced, consistently in title and body, by another
  name made of a first word and a last word seen in the data ("Gordon Warner"). One in
  three replacements comes from a Zipf-weighted pool of 5,000 "running stories" (so some
  names trend for a while, as real ones do); the others are fresh combinations (tens of
  thousands of them), so the number of distinct topics keeps growing with the archive;
* **dates**: spread evenly over the two years before ``end``, in arrival order (oldest
  first), about 137 articles a day at 100,000.

Everything is seeded, so a size always gives the same corpus.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,}){1,2}\b")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
# CNN/DM bodies open with bylines and "PUBLISHED: . 14:11 EST, 25 October 2013 ." debris.
DEBRIS = re.compile(r"^.*?(?:UPDATED|PUBLISHED): \. [^.]*\. (?:\| \. UPDATED: \. [^.]*\. )?")
TARGET_CHARS = 2400
DAYS = 730
RUNNING_STORIES = 5000


@dataclass(frozen=True)
class Story:
    category: str
    title: str
    paragraphs: tuple[str, ...]


def _chunks(text: str, size: int = 3) -> list[str]:
    sentences = [s.strip() for s in SENTENCE_END.split(text) if s.strip()]
    return [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]


def load_stories(data: Path) -> list[Story]:
    stories: list[Story] = []
    for line in (data / "bbc-news-summary.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        paragraphs = tuple(p.strip() for p in row["body"].split("\n\n") if p.strip())
        stories.append(Story("bbc-" + row["category"], row["title"], paragraphs))
    for line in (data / "cnndm-train-sample.jsonl").open(encoding="utf-8"):
        body = DEBRIS.sub("", json.loads(line)["body"], count=1)
        chunks = _chunks(body)
        if len(chunks) >= 2:
            title = SENTENCE_END.split(chunks[0])[0][:90]
            stories.append(Story("cnndm", title, tuple(chunks)))
    for line in (data / "kpcrowd.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        title, _, body = row["body"].partition("\n")
        chunks = [c for p in body.split("\n") for c in _chunks(p)]
        if title.strip() and len(chunks) >= 2:
            stories.append(Story("kp-" + row["category"], title.strip(), tuple(chunks)))
    return stories


class Names:
    """Replacement names: a first word and a last word of names seen in the data."""

    def __init__(self, stories: list[Story], rng: random.Random) -> None:
        seen: Counter[str] = Counter()
        for story in stories:
            for paragraph in story.paragraphs:
                seen.update(NAME.findall(paragraph))
        firsts = sorted({name.split()[0] for name in seen})
        lasts = sorted({name.split()[-1] for name in seen})
        self.rng = rng
        self.firsts, self.lasts = firsts, lasts
        self.running = [self.fresh() for _ in range(RUNNING_STORIES)]
        # Zipf-like weights: a few running stories are big, most are small.
        self.cum_weights = list(
            itertools.accumulate(1.0 / (rank + 1) for rank in range(RUNNING_STORIES))
        )

    def fresh(self) -> str:
        return f"{self.rng.choice(self.firsts)} {self.rng.choice(self.lasts)}"

    def pick(self) -> str:
        if self.rng.random() < 1 / 3:
            return self.rng.choices(self.running, cum_weights=self.cum_weights)[0]
        return self.fresh()


def _recombine(
    lead: Story, pool: list[Story], same: list[Story], names: Names, rng: random.Random
) -> tuple[str, str]:
    paragraphs = [lead.paragraphs[0]]
    size = len(paragraphs[0])
    while size < TARGET_CHARS and len(paragraphs) < 7:
        donor = rng.choice(same if rng.random() < 2 / 3 else pool)
        paragraph = rng.choice(donor.paragraphs)
        paragraphs.append(paragraph)
        size += len(paragraph)
    title, body = lead.title, "\n\n".join(paragraphs)
    found = Counter(NAME.findall(title + "\n" + body))
    mapping = {name: names.pick() for name, _ in found.most_common(12)}

    def swap(match: re.Match[str]) -> str:
        return mapping.get(match[0], match[0])

    return NAME.sub(swap, title), NAME.sub(swap, body)


def generate(data: Path, count: int, end: str, seed: int = 14) -> Iterator[dict[str, str]]:
    """``count`` recombined articles as JSON Lines records, oldest first."""
    import datetime as dt

    rng = random.Random(seed)
    stories = load_stories(data)
    names = Names(stories, rng)
    by_category: dict[str, list[Story]] = {}
    for story in stories:
        by_category.setdefault(story.category, []).append(story)
    last = dt.date.fromisoformat(end)
    for number in range(count):
        lead = rng.choice(stories)
        title, body = _recombine(lead, stories, by_category[lead.category], names, rng)
        day = last - dt.timedelta(days=(count - 1 - number) * DAYS // count)
        yield {"id": f"s{number:06d}", "title": title, "date": day.isoformat(), "body": body}


def write(data: Path, count: int, end: str, out: Path) -> Path:
    """Write the corpus to ``out`` (kept: a size and end date always give the same one)."""
    if out.exists():
        return out
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in generate(data, count, end):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.rename(out)
    return out
