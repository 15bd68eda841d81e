"""Hearsay's bundled resources (default prompts, icons, stylesheet).

Installed as ``app.resources``; read with ``importlib.resources.files("app.resources")``.
"""
