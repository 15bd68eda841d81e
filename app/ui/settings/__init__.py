"""Remembered settings (typed keys over QSettings) and the Settings dialog.
"""
