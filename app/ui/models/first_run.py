"""The first-run bar: while the demo language model (the catalog's ``demo = true`` entry) answers the prompts, a
bar at the top of the main window says that its answers are for trying Hearsay out and are often invented, and
offers the language model recommended for this computer, with its size, in one click. Closing the bar is
remembered (``Settings.demo_bar_dismissed``); choosing another model hides it.

The bar only shows and signals; the main window decides (``MainWindow._update_first_run_bar``).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QWidget

from app.core.hub.advice import Recommendation
from app.core.hub.catalog import CatalogEntry
from app.core.user_files import format_bytes
from app.ui.models.listing import ModelItem, entry_title
from app.ui.models.rows import estimate_text

STYLE = """
QFrame#firstRunBar { background: #fffbeb; border: 1px solid #fde68a; border-radius: 10px; }
QLabel#firstRunText { color: #92400e; }
QPushButton#firstRunButton { background: #4f46e5; border-color: #4338ca; color: #ffffff; font-weight: 600; }
QPushButton#firstRunButton:hover { background: #4338ca; }
QToolButton#firstRunClose { color: #92400e; border: none; padding: 2px 6px; }
"""


def demo_text(demo: CatalogEntry) -> str:
    """The bar's sentence about the demo model."""
    return (f"Answers now come from {entry_title(demo)}, a tiny demo model: they are for trying Hearsay out and "
            f"are often invented. For real work, use a stronger language model.")


class FirstRunBar(QFrame):
    """The bar. Signals: ``get_model(model_id)`` (the offered model: download it, or use it when it is already
    installed), ``choose_model()`` (no recommendation to offer: open the Models window), ``dismissed()``."""

    get_model = Signal(str)
    choose_model = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunBar")
        self.setStyleSheet(STYLE)
        self.offered: str | None = None
        """The id of the model the button offers (None: it opens the Models window)."""
        self.text = QLabel()
        self.text.setObjectName("firstRunText")
        self.text.setWordWrap(True)
        self.button = QPushButton()
        self.button.setObjectName("firstRunButton")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self._clicked)
        self.close_button = QToolButton()
        self.close_button.setObjectName("firstRunClose")
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide this bar (it stays hidden; the Models window is in the File menu)")
        self.close_button.setAccessibleName("Hide the demo model's bar")
        self.close_button.clicked.connect(self.dismissed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # never taller than its text
        self.hide()

    def offer(self, demo: CatalogEntry, item: ModelItem | None, recommendation: Recommendation | None) -> None:
        """Say that ``demo`` answers now and offer ``item``, the recommended language model (None: no better
        model fits this computer, or the recommendation is not known yet: the button opens the Models window)."""
        self.text.setText(demo_text(demo))
        if item is None or item.entry is None or item.entry.demo:
            self.offered = None
            self.button.setText("Choose a language model…")
            self.button.setToolTip("Open the Models window (Ctrl+Shift+M)")
            return
        self.offered = item.id
        size = format_bytes(item.size_bytes) if item.size_bytes else ""
        if item.state in ("installed", "bundled"):
            self.button.setText(f"Use {item.title}")
            verb = "It is installed: one click makes it the language model."
        elif item.state == "partial":
            self.button.setText(f"Resume {item.title} ({size})")
            verb = f"Resumes its download ({format_bytes(item.partial_bytes)} of {size} are here), then uses it."
        else:
            self.button.setText(f"Get {item.title} ({size})")
            verb = f"Downloads {size} from the hub in the Models window, then uses it."
        how = f"\n{estimate_text(recommendation)}.\n{recommendation.how}" if recommendation is not None else ""
        self.button.setToolTip(f"Recommended for this computer. {verb}{how}")

    def _clicked(self) -> None:
        if self.offered is None:
            self.choose_model.emit()
        else:
            self.get_model.emit(self.offered)
