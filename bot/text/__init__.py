"""Pure, offline text intelligence: sentences, summaries, digests, topics, trending."""

from bot.text.digest import DigestInput, DigestSentence, digest
from bot.text.sentences import split_sentences
from bot.text.summary import summarize
from bot.text.topics import canonical_key, extract_topics, topic_matches
from bot.text.trending import MIN_SUPPORT, prefer_specific, rank_trending

# Bump when summarize() or extract_topics() give different output for the same article:
# stored summaries and topics are then recomputed at the next ingest.
PIPELINE_VERSION = 5

__all__ = [
    "MIN_SUPPORT",
    "PIPELINE_VERSION",
    "DigestInput",
    "DigestSentence",
    "canonical_key",
    "digest",
    "extract_topics",
    "prefer_specific",
    "rank_trending",
    "split_sentences",
    "summarize",
    "topic_matches",
]
