"""What the analyst keeps and exports: comparison sessions, autosave, reports."""
