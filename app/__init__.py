"""Hearsay: local, private audio-to-LLM. Transcribe recordings and run prompts over them on this machine."""

__version__ = "0.1.0"
