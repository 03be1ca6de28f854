"""Text shared across the corpus: fingerprints, the reuse map (boilerplate, copies, clusters, origins)."""
