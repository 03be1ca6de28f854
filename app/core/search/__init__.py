"""Searching a corpus: the query language, hits and snippets, facets, title marks."""
