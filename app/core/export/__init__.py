"""Renderings of a finished Analysis (Markdown, Gladia-shaped JSON, SRT/WebVTT subtitles, and plain text, Word
and PDF documents made from the Markdown) and their atomic writing to files.
"""
