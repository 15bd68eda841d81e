"""Renderings of a finished Analysis (Markdown, Gladia-shaped JSON) and their atomic writing to files.
"""
