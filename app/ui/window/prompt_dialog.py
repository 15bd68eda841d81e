"""Adding or editing one prompt: its short name and its text, fully usable from the keyboard.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.llm.prompts import NamedPrompt

PROMPT_HINT = (
    "The prompt runs over the transcript. Write {{ transcript }} to place the transcript yourself "
    "(such prompts run slower). Enter starts a new line; Ctrl+Enter saves."
)


class PromptDialog(QDialog):
    """Add or edit one prompt: a short name (it titles the prompt's tab), and a wrapping text box where
    Enter starts a new line, Tab moves on and Ctrl+Enter (either Enter key) saves; Esc cancels."""

    def __init__(self, parent: QWidget | None, title: str, text: str = "", name: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.name_edit = QLineEdit(name)
        self.name_edit.setAccessibleName("Name")
        self.name_edit.setMaxLength(40)
        self.name_edit.setPlaceholderText("A short name for its tab, such as Decisions (optional)")
        hint = QLabel(PROMPT_HINT)
        hint.setWordWrap(True)
        hint.setObjectName("dialogHint")
        self.editor = QPlainTextEdit(text)
        self.editor.setAccessibleName("Prompt")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.editor.setTabChangesFocus(True)
        self.editor.setMinimumHeight(140)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setToolTip(f"Save the prompt ({QKeySequence('Ctrl+Return').toString(QKeySequence.SequenceFormat.NativeText)})")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.accept)
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.name_edit)
        name_row = QHBoxLayout()
        name_row.addWidget(name_label)
        name_row.addWidget(self.name_edit, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(name_row)
        layout.addWidget(hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)
        self.setTabOrder(self.name_edit, self.editor)
        self.editor.setFocus()
        self.editor.moveCursor(QTextCursor.MoveOperation.End)

    def text(self) -> str:
        """The prompt as typed, without surrounding blank space."""
        return self.editor.toPlainText().strip()

    def name(self) -> str:
        """The name as typed ("" for none)."""
        return " ".join(self.name_edit.text().split())


def ask_prompt(parent: QWidget, title: str, current: NamedPrompt | None = None) -> NamedPrompt | None:
    """Ask for a prompt (and its name) in a ``PromptDialog``; None when cancelled or the text is blank.
    Tests replace this function."""
    dialog = PromptDialog(parent, title, current.text if current else "", current.name if current else "")
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.text():
        return None
    return NamedPrompt(dialog.text(), dialog.name())
