"""Comparisons over a corpus: the best match of an article, one story across its copies, passages."""
