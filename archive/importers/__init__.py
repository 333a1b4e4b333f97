"""Importers: local files (Markdown with front matter, text, HTML, WARC) into Documents."""
