"""Icons and the stylesheet, read from ``app.resources`` (``resources/`` in a checkout).

Thread-safety: GUI thread only (QIcon and QApplication are GUI objects).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication


def _resource(name: str):
    return resources.files("app.resources").joinpath(name)


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """The icon ``resources/<name>.svg`` (scalable when Qt's SVG icon engine is present)."""
    resource = _resource(f"{name}.svg")
    if isinstance(resource, Path) and resource.is_file():
        return QIcon(str(resource))
    pixmap = QPixmap()
    pixmap.loadFromData(resource.read_bytes(), "SVG")
    return QIcon(pixmap)


def app_icon() -> QIcon:
    """Hearsay's application icon."""
    return icon("hearsay")


def stylesheet() -> str:
    """The application stylesheet (``resources/style.qss``)."""
    return _resource("style.qss").read_text("utf-8")


def apply(app: QApplication) -> None:
    """Give ``app`` Hearsay's look: Fusion, a light palette, the stylesheet and the app icon."""
    app.setStyle("Fusion")
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#f4f5f9",
        QPalette.ColorRole.WindowText: "#1e293b",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f8fafc",
        QPalette.ColorRole.Text: "#1e293b",
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: "#1e293b",
        QPalette.ColorRole.Highlight: "#6366f1",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#1e293b",
        QPalette.ColorRole.ToolTipText: "#f8fafc",
        QPalette.ColorRole.PlaceholderText: "#94a3b8",
        QPalette.ColorRole.Link: "#4f46e5",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#94a3b8"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#a3acbb"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#a3acbb"))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())
