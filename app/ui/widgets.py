"""Small widget helpers shared by the window's parts: section headings and window-wide actions.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QWidget

from app.ui import theme


def section_title(title: str) -> QLabel:
    """A small grey heading over a side-panel section."""
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


def make_action(window: QWidget, text: str, slot, shortcuts=(), icon: str | None = None,
                tip: str | None = None) -> QAction:
    """A window-wide action calling ``slot()``, with its first shortcut shown in the tooltip."""
    action = QAction(text, window)
    if icon:
        action.setIcon(theme.icon(icon))
    keys = [QKeySequence(s) for s in shortcuts]
    if keys:
        action.setShortcuts(keys)
    shown = keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
    action.setToolTip((tip or text.replace("&", "").rstrip("…")) + (f" ({shown})" if shown else ""))
    action.triggered.connect(lambda checked=False: slot())
    window.addAction(action)
    return action
