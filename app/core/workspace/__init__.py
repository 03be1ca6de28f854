"""An opened corpus: its index, reuse map and search behind one facade, and the analyst's own data."""
