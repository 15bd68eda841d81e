"""The context meter: how many tokens the transcript takes against the language model's context window.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from app.core.pipeline.events import ContextMeasured
from app.ui.messages import context_summary

STEPS = 1000


class ContextMeter(QWidget):
    """A small bar and "Transcript 2,712 tokens / context 8,192" (plus " — map-reduce over 3 parts").

    The bar fills with the transcript's share of the context window; it is
    full, in amber, when the transcript does not fit and the prompts run
    map-reduce. Hidden (its space kept) until a ``ContextMeasured`` is shown.

    Thread-safety: GUI thread only.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        self.bar = QProgressBar()
        self.bar.setObjectName("contextBar")
        self.bar.setRange(0, STEPS)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(72)
        self.label = QLabel()
        self.label.setObjectName("resultMeta")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # its line is kept while hidden: the tabs below never jump
        self.setSizePolicy(policy)
        self.hide()

    def text(self) -> str:
        """The meter's line ("" while hidden)."""
        return self.label.text() if not self.isHidden() else ""

    def show_measure(self, measured: ContextMeasured | None) -> None:
        """Show ``measured`` (None hides the meter)."""
        if measured is None:
            self.label.clear()
            self.hide()
            return
        split = measured.strategy == "map-reduce"
        share = measured.transcript_tokens / max(measured.context_window, 1)
        self.bar.setValue(STEPS if split else int(STEPS * min(share, 1.0)))
        self.bar.setProperty("overflow", split)
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)
        self.label.setText(context_summary(measured))
        tip = (f"The transcript takes {share:.0%} of the language model's context window."
               if not split else
               "The transcript is longer than the context window allows with room for a prompt and its "
               f"answer, so each prompt reads it in {measured.parts} parts and combines the partial answers.")
        self.setToolTip(tip)
        self.show()
