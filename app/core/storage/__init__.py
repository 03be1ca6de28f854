"""Where Parallax may read and write: app folders, the corpus boundary, the write guard, atomic writes."""
