"""Hearsay's Qt-free core, by domain: ``pipeline`` (where the others meet), ``speech``, ``llm``, ``library``,
``export``, ``hub``; shared leaves beside them (``analysis``, ``errors``, ``paths``, ``logs``, ``hardware``).
See docs/architecture.md.

Importing it switches the Hugging Face hub to offline mode: Hearsay makes no
network call unless the user explicitly asks for a download.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
