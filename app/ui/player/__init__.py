"""Playback of the selected file's recording: the player strip, its Qt Multimedia controller, and follow
mode (the transcript highlights the segment being played and keeps it in view)."""
