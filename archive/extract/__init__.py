"""Extraction: from raw bytes (HTML, text) to the fields of a Document."""
