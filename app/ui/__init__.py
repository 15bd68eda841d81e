"""Hearsay's window (PySide6 only here): the window and its parts, the files, the results, the history, the settings,
and the one worker thread that owns the engines. Imports ``app.core``, never ``app.cli``.
"""
