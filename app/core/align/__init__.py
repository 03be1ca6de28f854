"""Two articles compared: paragraph alignment, word edits, change labels and critical deltas."""
