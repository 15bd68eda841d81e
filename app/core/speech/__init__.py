"""From media to a transcript: probing and decoding audio and video, transcription with faster-whisper, and transcripts read back from .txt and Hearsay .json files.
"""
