"""The "Ask about this recording…" line under the results: a follow-up question about a finished file.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.ui import theme

PLACEHOLDER = "Ask about this recording…"


class AskBar(QWidget):
    """A line edit and an Ask button; Enter or the button emits ``asked(question)`` and clears the line.

    ``set_available(available, reason)`` enables it (a finished file with a
    transcript) or disables it with ``reason`` as its tooltip and placeholder.

    Thread-safety: GUI thread only.
    """

    asked = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("askBar")
        self.line = QLineEdit()
        self.line.setObjectName("askLine")
        self.line.setPlaceholderText(PLACEHOLDER)
        self.line.setClearButtonEnabled(True)
        self.line.returnPressed.connect(self.submit)
        self.button = QPushButton("Ask")
        self.button.setObjectName("askButton")
        self.button.setIcon(theme.icon("analyze-light"))
        self.button.setToolTip("Run this question over the transcript (Enter)")
        self.button.clicked.connect(self.submit)
        self.line.textChanged.connect(self._update_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)
        self._update_button()

    def set_available(self, available: bool, reason: str = "") -> None:
        """Enable asking, or disable it saying why (``reason``)."""
        self.line.setEnabled(available)
        self.line.setPlaceholderText(PLACEHOLDER if available else reason or PLACEHOLDER)
        self.line.setToolTip("" if available else reason)
        self._update_button()

    def submit(self) -> None:
        """Emit ``asked`` with the typed question (nothing when empty or disabled)."""
        question = self.line.text().strip()
        if not question or not self.line.isEnabled():
            return
        self.line.clear()
        self.asked.emit(question)

    def _update_button(self) -> None:
        self.button.setEnabled(self.line.isEnabled() and bool(self.line.text().strip()))
