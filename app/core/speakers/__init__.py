"""Speakers: who spoke when (diarization), speakers on words and segments, names, voiceprints."""
