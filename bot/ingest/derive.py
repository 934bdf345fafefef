"""What the text pipeline derives from an article before it is stored."""

from __future__ import annotations

from bot import text
from bot.models import Article, PreparedArticle, TopicLabel

TOPICS_PER_ARTICLE = 10


def derivation_signature(summary_sentences: int) -> str:
    """What stored summaries and topics depend on besides the article itself."""
    return f"text pipeline {text.PIPELINE_VERSION}, {summary_sentences}-sentence summaries"


def prepare_article(article: Article, summary_sentences: int = 3) -> PreparedArticle:
    """Summary and ranked topics of one article. Pure, so it can run in a worker process."""
    summary = text.summarize(article.body, sentences=summary_sentences, title=article.title)
    labels = text.extract_topics(article.body, limit=TOPICS_PER_ARTICLE, title=article.title)
    topics: dict[str, TopicLabel] = {}
    for label in labels:
        key = text.canonical_key(label)
        if key and key not in topics:
            topics[key] = TopicLabel(key=key, label=label)
    return PreparedArticle(article=article, summary=tuple(summary), topics=tuple(topics.values()))
