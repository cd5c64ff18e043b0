"""Summarize: from stored items to an issue draft (story summaries, themes, blurbs)."""
