"""Editing a transcript: correct a segment's words, split and merge segments, change a segment's speaker,
rename a speaker (``operations``); each edit is stored as a new transcript version by the history library."""
