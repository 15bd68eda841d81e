"""Hearsay's Qt-free core: media, transcription, prompting, models, export, pipeline.

Importing it switches the Hugging Face hub to offline mode: Hearsay makes no
network call unless the user explicitly asks for a download.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
