"""Behavioural tests for bot.text (segmentation, summaries, topics, digest, trending)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import (
    DigestInput,
    DigestSentence,
    canonical_key,
    digest,
    extract_topics,
    rank_trending,
    split_sentences,
    summarize,
    topic_matches,
)
from bot.text.summary import FEATURES, WEIGHTS, features, rows
from bot.text.trending import MIN_SUPPORT, _rise

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "2024-12-04-rutte-putin-no-interest-in-peace.txt"
BBC = ROOT.parent / "shared" / "data" / "bbc-news-summary.jsonl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Gen. Milley on Jan. 5 in the U.S. Capitol. They talked.",
            ["Mr. Smith met Gen. Milley on Jan. 5 in the U.S. Capitol.", "They talked."],
        ),
        (
            "Profits jumped 76% to $1.13bn (£600m). Sales rose 3.5% to $11.1bn.",
            ["Profits jumped 76% to $1.13bn (£600m).", "Sales rose 3.5% to $11.1bn."],
        ),
        (
            'He said: "We will win." Then he left.',
            ['He said: "We will win."', "Then he left."],
        ),
        ('"Who is it?" she asked. Nobody knew.', ['"Who is it?" she asked.', "Nobody knew."]),
        ("John F. Kennedy spoke. Crowds cheered.", ["John F. Kennedy spoke.", "Crowds cheered."]),
        (
            "It happened in the U.S. The talks failed.",
            ["It happened in the U.S.", "The talks failed."],
        ),
        ("Wait... What happened?", ["Wait...", "What happened?"]),
        ("He waited... and waited.", ["He waited... and waited."]),
        (
            "PUTIN SHOWS NO INTEREST IN PEACE\nThe body starts here. It ends here",
            ["PUTIN SHOWS NO INTEREST IN PEACE", "The body starts here.", "It ends here"],
        ),
        ("- first item\n- second item", ["first item", "second item"]),
        (
            "a line that wraps\nonto the next one. Done.",
            ["a line that wraps onto the next one.", "Done."],
        ),
        ("Dr. Who (the show.) Next.", ["Dr. Who (the show.)", "Next."]),
        ("no punctuation at all", ["no punctuation at all"]),
        ("", []),
        ("  \n\n ", []),
    ],
)
def test_split_sentences_table(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_only_the_space_is_printable_white_space() -> None:
    # sentences_of skips collapsing white space in a printable block without double spaces.
    import sys

    chars = map(chr, range(sys.maxunicode + 1))
    assert [c for c in chars if c.isspace() and c.isprintable()] == [" "]


def test_split_sentences_huge_unpunctuated_text_is_bounded() -> None:
    text = "word " * 200_000
    parts = split_sentences(text)
    assert all(len(p) <= 2000 for p in parts)
    assert sum(len(p.split()) for p in parts) == 200_000


def _seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_summary_is_whole_sentences_in_article_order() -> None:
    text = _seed()
    sents = split_sentences(text)
    summary = summarize(text)
    assert len(summary) == 3
    idx = [sents.index(s) for s in summary]  # each is a whole sentence of the article
    assert idx == sorted(idx)
    assert any("Rutte" in s for s in summary)


def test_seed_topics_are_recognisable_and_merged() -> None:
    topics = extract_topics(_seed())
    assert len(topics) <= 10
    for expected in ("Mark Rutte", "NATO", "Vladimir Putin", "Ukraine"):
        assert expected in topics
    keys = [canonical_key(t) for t in topics]
    assert "putin" not in keys and "president vladimir putin" not in keys
    assert "rutte" not in keys
    assert any("air defense" in t.lower() for t in topics)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_summary_length_parameter(n: int) -> None:
    assert len(summarize(_seed(), n)) == min(n, len(split_sentences(_seed())))


LEDE = "The city council voted on Tuesday to close the old harbour bridge to all traffic."
BODY_AFTER_LEDE = [
    "Engineers found deep cracks in the harbour bridge supports during an inspection.",
    "Engineers found deep cracks in the harbour bridge supports during a routine inspection.",
    "Repairs to the harbour bridge supports will cost the city council about 40 million.",
    "Ferries will carry commuters across the harbour while the bridge is closed for repairs.",
    "The mayor said the harbour bridge would reopen once the supports had been repaired.",
]


def test_summary_of_an_inverted_pyramid_starts_with_its_lede() -> None:
    assert summarize(" ".join([LEDE, *BODY_AFTER_LEDE]), 3)[0] == LEDE


def test_summary_skips_a_headline_repeated_as_the_first_line() -> None:
    title = "Harbour bridge to close for repairs after engineers find cracks"
    body = "\n".join([title, LEDE, *BODY_AFTER_LEDE])
    summary = summarize(body, 2, title=title)
    assert title not in summary
    assert len(summary) == 2 and set(summary) <= {LEDE, *BODY_AFTER_LEDE}


def test_summary_does_not_say_the_same_thing_twice() -> None:
    summary = summarize(" ".join([LEDE, *BODY_AFTER_LEDE]), 3)
    assert not {BODY_AFTER_LEDE[0], BODY_AFTER_LEDE[1]} <= set(summary)


def test_every_scorer_input_has_a_name_and_a_weight() -> None:
    table = rows(features([LEDE, *BODY_AFTER_LEDE]))
    assert {len(row) for row in table} == {len(FEATURES)} == {len(WEIGHTS.coef)}


@pytest.mark.parametrize("n", [0, 11, -1])
def test_summary_length_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        summarize("One. Two.", n)


def test_lead_prior_keeps_a_strong_lead() -> None:
    body = (
        "The central bank raised interest rates by half a point on Tuesday to fight inflation.\n"
        "Officials said inflation had reached its highest level in a decade.\n"
        "Markets fell after the announcement.\n"
        "The weather in the capital was mild.\n"
        "Analysts expect further rate rises this year as inflation stays high."
    )
    assert summarize(body, 1)[0].startswith("The central bank raised")


@pytest.mark.parametrize(
    "body",
    [
        "Hello",
        "ONE SENTENCE WITH NO STOP",
        "Один. Два три. Четыре пять шесть.",
        "这是一个句子。这是另一个句子。",
        "- alpha\n- beta\n- gamma\n- delta",
        "x" * 5000,
        "words without any punctuation " * 500,
    ],
)
def test_bad_input_never_empty_never_longer(body: str) -> None:
    summary = summarize(body)
    assert summary
    assert sum(len(s) for s in summary) <= len(body)
    extract_topics(body)


def test_empty_input() -> None:
    assert summarize("") == []
    assert summarize("   \n ") == []
    assert extract_topics("") == []
    assert digest([]) == []


def test_megabyte_article_is_handled() -> None:
    body = (_seed() + "\n\n") * (1_000_000 // len(_seed()))
    summary = summarize(body)
    topics = extract_topics(body)
    assert len(summary) == 3 and topics


# Characters where the summary's and the topic extractor's tokenisers could part ways:
# joiners, a final sigma, case changes that change length, combining marks, digits.
_TOKEN_EDGES = st.sampled_from(list("aZé1 _'\u2019-&.:,\u03a3\u03c3\u03c2\u0130\u0307\u00df\u01c5"))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(_TOKEN_EDGES, max_size=40), st.text(max_size=80)))
def test_tokens_chunk_by_chunk_are_the_regex_tokens(text: str) -> None:
    from bot.text.topics import _TOKEN, _token_strings

    assert _token_strings(text) == _TOKEN.findall(text)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(_TOKEN_EDGES, max_size=40), st.text(max_size=80)))
def test_sentence_terms_are_the_summary_terms(text: str) -> None:
    from bot.text._lexicon import terms
    from bot.text.topics import sentence_terms

    assert sentence_terms(text) == terms(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=800), st.integers(min_value=1, max_value=10))
def test_hypothesis_arbitrary_text(text: str, n: int) -> None:
    summary = summarize(text, n)
    if text.strip():
        assert summary
    else:
        assert summary == []
    assert len(summary) <= n
    assert sum(len(s) for s in summary) <= len(text)
    assert all(s.strip() for s in summary)
    topics = extract_topics(text, n)
    assert len(topics) <= n
    assert len({canonical_key(t) for t in topics}) == len(topics)
    for s in split_sentences(text):
        assert s == s.strip() and s


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("President Vladimir Putin", "vladimir putin"),
        ("Vladimir Putin's", "vladimir putin"),
        ("NATO's", "nato"),
        ("Secretary General Mark Rutte", "mark rutte"),
        ("  Air-Defense   systems ", "air defense systems"),
        ("Zelenskyy", "zelenskyy"),
        ("Émmanuel Macron", "emmanuel macron"),
        ("The Guardian", "guardian"),
    ],
)
def test_canonical_key(label: str, key: str) -> None:
    assert canonical_key(label) == key


def test_digest_links_articles_and_avoids_repetition() -> None:
    a = DigestInput(
        1, "Rates rise", "The central bank raised interest rates on Tuesday. It cited inflation."
    )
    b = DigestInput(
        2, "Bank hikes", "The central bank raised interest rates on Tuesday. Markets fell."
    )
    c = DigestInput(
        3, "Storm hits coast", "A storm hit the east coast, cutting power to thousands."
    )
    out = digest([a, b, c], sentences=5)
    assert all(isinstance(s, DigestSentence) for s in out)
    texts = [s.text for s in out]
    assert texts.count("The central bank raised interest rates on Tuesday.") == 1
    assert {s.article_id for s in out} >= {3}
    for s in out:
        body = {1: a.body, 2: b.body, 3: c.body}[s.article_id]
        assert s.text in body


def test_digest_uses_precomputed_summary_and_limit() -> None:
    art = DigestInput(7, "T", "Body one. Body two.", summary=("Precomputed line.",))
    assert digest([art], sentences=3) == [DigestSentence(7, "Precomputed line.")]
    assert len(digest([DigestInput(1, "", "A. B. C. D. E. F.")], sentences=2)) <= 2


def test_trending_prefers_unusual_over_big() -> None:
    current = {"government": 50, "earthquake": 12, "one-off": 1}
    previous = {"government": 50, "earthquake": 0}
    ranked = rank_trending(current, previous, 1000, 1000)
    names = [t for t, _ in ranked]
    assert names[0] == "earthquake"
    assert "government" not in names  # same rate as before
    assert "one-off" not in names  # below minimum support
    assert rank_trending({}, {}, 0, 0) == []
    assert len(rank_trending({f"t{i}": 5 for i in range(30)}, {}, 150, 0, limit=4)) == 4


def test_trending_ties_go_to_the_bigger_count_then_the_name() -> None:
    # With no period before, a topic scores its count: three tie at 4, the limit cuts them.
    current = {"zeta": 4, "beta": 4, "alpha": 4, "gamma": 6, "delta": 2}
    assert rank_trending(current, {}, 20, 0, limit=3) == [
        ("gamma", 6.0),
        ("alpha", 4.0),
        ("beta", 4.0),
    ]
    # The same counts now and before give the same score: by name; more before ranks lower.
    tied = rank_trending({"c": 5, "b": 5, "a": 5}, {"a": 1, "b": 1, "c": 3}, 100, 100)
    assert [name for name, _ in tied] == ["a", "b", "c"]
    assert tied[0][1] == tied[1][1] > tied[2][1]


@settings(max_examples=300, deadline=None)
@given(
    current=st.dictionaries(st.sampled_from("abcdefghij"), st.integers(-1, 6), max_size=10),
    previous=st.dictionaries(st.sampled_from("abcdefghij"), st.integers(-1, 6), max_size=10),
    totals=st.tuples(st.integers(-1, 60), st.integers(-1, 60)),
    limit=st.integers(-1, 12),
)
def test_trending_ranks_every_topic_by_its_own_score(
    current: dict[str, int],
    previous: dict[str, int],
    totals: tuple[int, int],
    limit: int,
) -> None:
    """Scoring each (now, before) pair once ranks as scoring every topic would."""
    n1 = max(totals[0], sum(max(0, c) for c in current.values()))
    n2 = max(totals[1], sum(max(0, c) for c in previous.values()))
    every = []
    for topic, count in current.items():
        before = min(max(0, previous.get(topic, 0)), n2)
        score = _rise(count, before, n1, n2) if count >= MIN_SUPPORT else None
        if score is not None:
            every.append((topic, score, count))
    every.sort(key=lambda t: (-t[1], -t[2], t[0]))
    expected = [(topic, round(score, 6)) for topic, score, _ in every[: max(limit, 0)]]
    assert rank_trending(current, previous, *totals, limit=limit) == expected


@pytest.mark.skipif(not BBC.exists(), reason="../shared/data/bbc-news-summary.jsonl absent")
def test_real_news_summary_and_topics_behave() -> None:
    """Behaviour on real articles (speed is measured by bench/, not asserted here)."""
    rows = [json.loads(line) for line in BBC.open(encoding="utf-8")][:100]
    for row in rows:
        body, title = row["body"], row["title"]
        summary = summarize(body, 3, title)
        sents = split_sentences(body)
        assert summary == [s for s in sents if s in summary][: len(summary)]
        assert len(summary) == min(3, len(sents))
        topics = extract_topics(body, 10, title)
        assert 0 < len(topics) <= 10
        assert sum(len(t.split()) > 1 and t[:1].isupper() for t in topics) <= 2
        assert len({canonical_key(t) for t in topics}) == len(topics)
        assert summarize(body, 3, title) == summary  # memoised split gives the same answer


def test_split_sentences_returns_a_fresh_list() -> None:
    first = split_sentences("One. Two.")
    first.append("mutated")
    assert split_sentences("One. Two.") == ["One.", "Two."]


def test_topics_drop_markup_urls_and_contractions() -> None:
    body = (
        "The festival&rsquo;s concert drew crowds. Tickets at www.example.com sold out. "
        "Fans said they won\u2019t miss the concert. The concert ended late."
    )
    topics = extract_topics(body)
    assert "concert" in topics
    assert not any("&" in t or "www" in t or "\u2019" in t for t in topics)


@pytest.mark.parametrize(
    ("query", "key", "expected"),
    [
        ("putin", "vladimir putin", True),
        ("Putin", "Vladimir Putin", True),
        ("President Putin's", "vladimir putin", True),
        ("vladimir putin", "putin", True),
        ("vladimir putin", "vladimir putin", True),
        ("rutte", "mark rutte", True),
        ("defense systems", "air defense systems", True),
        ("vladimir", "vladimir putin", False),
        ("putin", "putin doctrine", False),
        ("mark", "mark rutte", False),
        ("nato", "nato summit", False),
        ("", "nato", False),
        ("nato", "", False),
        ("s", "jobs s", False),
        ("Émmanuel Macron", "macron", True),
    ],
)
def test_topic_matches_table(query: str, key: str, expected: bool) -> None:
    assert topic_matches(query, key) is expected


@pytest.mark.parametrize(
    ("word", "weak"),
    [
        ("company", False),  # a -y noun is not an adjective with a -ly adverb
        ("economy", False),
        ("security", False),
        ("additional", True),  # additionally
        ("simple", True),  # simply
    ],
)
def test_descriptive_words_are_told_from_nouns(word: str, weak: bool) -> None:
    from bot.text.topics import _weak

    assert _weak(word) is weak


def test_sentence_initial_acronym_keeps_its_case_and_role_words_are_not_topics() -> None:
    topics = extract_topics(
        "NATO members agreed on the date of next summer's summit in The Hague. "
        "Secretary General Mark Rutte will host the leaders.",
        title="NATO summit planned for the summer",
    )
    assert topics[0] == "NATO"
    assert "nato" not in topics
    assert "Mark Rutte" in topics
    assert not {"secretary", "Secretary", "general", "General"} & set(topics)


@pytest.mark.parametrize(
    ("word", "adverb"),
    [
        ("allegedly", True),
        ("basically", True),
        ("happily", True),
        ("family", False),
        ("supply", False),
        ("assembly", False),
    ],
)
def test_adverbs_are_told_from_nouns_ending_in_ly(word: str, adverb: bool) -> None:
    from bot.text.topics import _adverb

    assert _adverb(word) is adverb


def test_adverbs_are_never_topics() -> None:
    body = (
        "The suspect allegedly stole the painting. Police allegedly found it later. "
        "The painting was allegedly worth millions, and the painting is back."
    )
    topics = extract_topics(body)
    assert "painting" in topics
    assert "allegedly" not in topics


def test_a_word_used_as_a_noun_outranks_one_used_as_a_verb() -> None:
    # "hiring" and "hanging" occur equally often and are equally rare; one is a noun here
    # ("the hiring"), the other a verb ("was hanging").
    body = (
        "Firms slowed the hiring of engineers. A banner was hanging over the gate. "
        "Analysts watched the hiring closely while flags were hanging from windows."
    )
    topics = extract_topics(body)
    assert topics.index("hiring") < topics.index("hanging")


def test_days_months_and_today_are_not_topics_but_a_protest_march_is() -> None:
    topics = extract_topics(
        "Thousands joined the march through London on Saturday. The march ended at "
        "Parliament Square on Saturday evening, and organisers plan another march in May. "
        "Police said today that the march was peaceful, as it was yesterday."
    )
    assert "march" in topics
    lowered = {t.lower() for t in topics}
    assert not lowered & {"saturday", "may", "today", "yesterday"}


def test_a_name_that_opens_a_sentence_is_kept_whole() -> None:
    topics = extract_topics(
        "Tim Cook said the phone would ship in March. Analysts expect strong sales, "
        "and Cook said supply was ready."
    )
    assert "Tim Cook" in topics
    assert not {"tim", "Tim", "Cook"} & set(topics)


def test_mixed_case_words_keep_their_case() -> None:
    topics = extract_topics(
        "Apple unveiled a new iPhone. The iPhone has a bigger screen, and the iPhone costs more."
    )
    assert "iPhone" in topics


def test_word_memos_stay_bounded_on_endless_new_words() -> None:
    from bot.text._lexicon import Memo

    memo = Memo(str.upper, size=3)
    assert [memo[w] for w in ["a", "b", "c", "d", "e", "a"]] == ["A", "B", "C", "D", "E", "A"]
    assert len(memo) <= 3


def test_superlatives_are_not_topics_but_interest_is() -> None:
    topics = extract_topics(
        "The bank raised interest rates to the highest level in years. The best case, "
        "analysts said, is that interest rates peak soon. The latest figures show the "
        "biggest rise in interest payments since 2008."
    )
    assert "interest" in topics
    assert not {"highest", "best", "latest", "biggest"} & set(topics)


# Words of every kind the specificity tells apart: common, rare, outside the table, dotted,
# hyphenated, possessive, capitalised.
_LABEL_WORDS = st.sampled_from(
    [
        "the",
        "people",
        "economy",
        "zelenskyy",
        "u.s.",
        "big-screen",
        "x-qz",
        "putin's",
        "Putin",
        "NATO",
        "Qwzx",
        "hiring",
        "additional",
        "corruption",
        "a-",
        "-",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            _LABEL_WORDS, st.text(min_size=1, max_size=12).filter(lambda w: w.split() == [w])
        ),
        min_size=1,
        max_size=4,
    ),
    st.booleans(),
)
def test_static_bound_is_an_upper_bound(words: list[str], is_name: bool) -> None:
    from bot.text.topics import _static, _static_bound

    label = " ".join(words)
    assert _static(label, is_name, len(words)) <= _static_bound(is_name, len(words))


def test_no_table_word_is_more_specific_than_the_bound() -> None:
    from bot.text._lexicon import _ZIPF
    from bot.text.topics import _MAX_SPECIFICITY, _specificity

    assert all(_specificity(w, cap) <= _MAX_SPECIFICITY for w in _ZIPF for cap in (True, False))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=600))
def test_ranking_by_bounds_is_the_full_ranking(text: str) -> None:
    from bot.text.topics import _STATICS, _collect, _label, _merge_names, _ranked, _score

    for body in (text, _seed()):
        cands = _collect(body, None)
        _merge_names(cands)
        full = sorted(
            (-_score(c, _STATICS[_label(c), c.is_name, len(c.words)]), c.first, i, c.label)
            for i, c in enumerate(cands.values())
        )
        assert [c.label for c in _ranked(cands)] == [label for *_, label in full]


@pytest.mark.parametrize(
    ("label", "low"),
    [
        ("Tony Blair", False),
        ("EU", False),
        ("Chelsea", False),
        ("prime minister", False),
        ("broadband", False),
        ("government", True),
        ("company", True),
        ("film", True),
        ("Game", True),  # a common word that opened a headline, not a name
    ],
)
def test_common_nouns_are_less_specific_than_names(label: str, low: bool) -> None:
    from bot.text.trending import specificity

    assert (specificity(label) < 0.2) is low


def test_prefer_specific_puts_a_name_before_a_bigger_common_noun() -> None:
    from bot.text import prefer_specific

    ranked = prefer_specific(
        [("government", 202.0), ("tony blair", 65.0)],
        {"government": "government", "tony blair": "Tony Blair"},
    )
    assert [key for key, _ in ranked] == ["tony blair", "government"]
