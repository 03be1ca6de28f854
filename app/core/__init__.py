"""The Qt-free core: corpus reading, indexing, search, alignment, reuse, sessions and export."""
