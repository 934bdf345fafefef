from bot.text.sentences import split_sentences
from bot.text.summary import summarize
from bot.text.topics import extract_topics

__all__ = ["extract_topics", "split_sentences", "summarize"]
