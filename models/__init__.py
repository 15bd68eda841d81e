"""Hearsay's model catalog (``catalog.toml``), installed as ``app.catalog``.

Model files a user drops in this folder are found too (see ``app.core.hub.catalog``).
"""
