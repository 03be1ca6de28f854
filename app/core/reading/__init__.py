"""Files to articles: decoding, HTML extraction, paragraph roles, dates and the article model."""
