"""Feeds: RSS, Atom and JSON Feed sources, polled politely and ingested like seeds."""
