"""The prompt list: add, edit, remove and reorder the prompts every file runs.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPen,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.llm.prompts import NamedPrompt, default_named_prompts
from app.ui import theme
from app.ui.window.prompt_dialog import ask_prompt

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class PromptItemDelegate(QStyledItemDelegate):
    """Paints each prompt as a card: its name in bold (when it has one), then its whole text wrapped
    (no eliding), sized to fit."""

    PAD_X, PAD_Y, GAP, NAME_GAP = 10, 8, 4, 2

    def _text_width(self, option: QStyleOptionViewItem) -> int:
        view = self.parent()
        width = view.viewport().width() if view is not None else option.rect.width()
        return max(width - 2 * self.PAD_X - 4, 40)

    @staticmethod
    def _bold(option: QStyleOptionViewItem) -> QFont:
        font = QFont(option.font)
        font.setBold(True)
        return font

    def _name_height(self, option: QStyleOptionViewItem, index: QModelIndex) -> int:
        return QFontMetrics(self._bold(option)).height() + self.NAME_GAP if index.data(NAME_ROLE) else 0

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        bounds = QFontMetrics(option.font).boundingRect(
            QRect(0, 0, self._text_width(option), 100000), Qt.TextFlag.TextWordWrap, text)
        height = bounds.height() + self._name_height(option, index) + 2 * self.PAD_Y + self.GAP
        return QSize(self._text_width(option) + 2 * self.PAD_X, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(option.rect.adjusted(1, self.GAP // 2, -2, -self.GAP // 2)).adjusted(0.5, 0.5, -0.5, -0.5)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        fill, border = ("#e0e7ff", "#c7d2fe") if selected else (("#f5f7ff", "#e0e7ff") if hovered else ("#fbfcfe", "#e8ebf1"))
        painter.setPen(QPen(QColor(border), 1))
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(card, 8, 8)
        text_rect = card.toRect().adjusted(self.PAD_X, self.PAD_Y - 1, -self.PAD_X, -self.PAD_Y + 1)
        name = index.data(NAME_ROLE)
        if name:
            painter.setPen(QColor("#1e1b4b" if selected else "#0f172a"))
            painter.setFont(self._bold(option))
            name_height = self._name_height(option, index)
            shown = QFontMetrics(self._bold(option)).elidedText(name, Qt.TextElideMode.ElideRight, text_rect.width())
            painter.drawText(text_rect.adjusted(0, 0, 0, -(text_rect.height() - name_height)),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), shown)
            text_rect = text_rect.adjusted(0, name_height, 0, 0)
        painter.setPen(QColor("#312e81" if selected else ("#475569" if name else "#1e293b")))
        painter.setFont(option.font)
        painter.drawText(text_rect, int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.restore()


class _PromptListChange(QUndoCommand):
    """One change of the prompt list (add, edit, remove, move, reset), undone by putting the list back."""

    def __init__(self, editor: PromptEditor, before: list[NamedPrompt], after: list[NamedPrompt], text: str) -> None:
        super().__init__(text)
        self.editor, self.before, self.after = editor, before, after
        self._done = True  # the change is already on screen when the command is pushed

    def redo(self) -> None:  # noqa: D102
        if self._done:
            self._done = False
            return
        self.editor._restore(self.after)

    def undo(self) -> None:  # noqa: D102
        self.editor._restore(self.before)


class PromptEditor(QWidget):
    """The list of prompts with buttons (and shortcuts) to add, edit, remove and move them.

    Rows can also be dragged to a new place. Every change emits
    ``prompts_changed(list[str])`` with the prompts in their new order.
    The dialogs go through ``ask_prompt_text`` (tests replace it).

    Thread-safety: GUI thread only.
    """

    prompts_changed = Signal(list)
    notice = Signal(str)

    def __init__(self, prompts: list[str | NamedPrompt], parent=None) -> None:
        super().__init__(parent)
        self._last: list[NamedPrompt] = []
        self._restoring = False
        self.undo_stack = QUndoStack(self)
        self.list = QListWidget()
        self.list.setObjectName("promptList")
        self.list.setAccessibleName("Prompts")
        self.list.setWordWrap(True)
        self.list.setItemDelegate(PromptItemDelegate(self.list))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap the prompts when the panel resizes
        self.list.setUniformItemSizes(False)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemDoubleClicked.connect(lambda item: self.edit_selected())
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        model = self.list.model()
        model.rowsMoved.connect(lambda *_: self._sync())
        model.rowsInserted.connect(lambda *_: self._sync())
        model.rowsRemoved.connect(lambda *_: self._sync())

        local = Qt.ShortcutContext.WidgetWithChildrenShortcut  # only while the prompt list has the focus
        self.add_action = self._action("add", "Add prompt…", "Ctrl+Shift+N", self.add_with_dialog)
        self.edit_action = self._action("edit", "Edit prompt…", "F2", self.edit_selected, local)
        self.remove_action = self._action("remove", "Remove prompt", "Delete", self.remove_selected, local)
        self.up_action = self._action("up", "Move prompt up", "Alt+Up", lambda: self.move_selected(-1), local)
        self.down_action = self._action("down", "Move prompt down", "Alt+Down", lambda: self.move_selected(1), local)
        self.reset_action = self._action("reset", "Reset to the default prompts…", None, self.reset_with_confirm)
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo prompt change")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo prompt change")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(local)
            self.addAction(action)

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        buttons.setContentsMargins(0, 0, 0, 0)
        for action in (self.add_action, self.edit_action, self.remove_action, self.up_action, self.down_action):
            buttons.addWidget(self._button(action))
        buttons.addStretch(1)
        buttons.addWidget(self._button(self.reset_action))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.set_prompts(prompts)
        self.undo_stack.clear()  # loading the remembered prompts is not a change to undo

    def _action(self, icon: str, text: str, shortcut: str | None, slot,
                context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QAction:
        action = QAction(theme.icon(icon), text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(context)
            action.setToolTip(f"{text} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton()
        button.setObjectName("smallButton")
        button.setDefaultAction(action)
        button.setAutoRaise(True)
        return button

    # ---- the prompts ------------------------------------------------------------

    def prompts(self) -> list[str]:
        """The prompts' texts, in list order."""
        return [p.text for p in self.named_prompts()]

    def named_prompts(self) -> list[NamedPrompt]:
        """The prompts with their names, in list order."""
        return [NamedPrompt(self.list.item(row).data(Qt.ItemDataRole.UserRole), self.list.item(row).data(NAME_ROLE) or "")
                for row in range(self.list.count())]

    def set_prompts(self, prompts: list[str | NamedPrompt]) -> None:
        """Replace all prompts, given as texts or ``NamedPrompt``s (emits ``prompts_changed`` when they differ)."""
        blocker = self.list.model().blockSignals(True)
        try:
            self.list.clear()
            for prompt in prompts:
                self.list.addItem(self._item(_named(prompt)))
        finally:
            self.list.model().blockSignals(blocker)
        self.list.reset()
        self._sync()

    def _item(self, prompt: NamedPrompt) -> QListWidgetItem:
        item = QListWidgetItem(prompt.text)
        self._fill(item, prompt)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        return item

    @staticmethod
    def _fill(item: QListWidgetItem, prompt: NamedPrompt) -> None:
        item.setText(prompt.text)
        item.setData(Qt.ItemDataRole.UserRole, prompt.text)
        item.setData(NAME_ROLE, prompt.name)
        item.setToolTip(f"{prompt.name}\n\n{prompt.text}" if prompt.name else prompt.text)

    def add_prompt(self, prompt: str | NamedPrompt) -> int:
        """Append ``prompt`` and select it; return its row."""
        self.list.addItem(self._item(_named(prompt)))
        row = self.list.count() - 1
        self.list.setCurrentRow(row)
        return row

    def edit_prompt(self, row: int, prompt: str | NamedPrompt) -> None:
        """Replace the prompt at ``row`` (a plain text keeps the prompt's name)."""
        item = self.list.item(row)
        named = prompt if isinstance(prompt, NamedPrompt) else NamedPrompt(prompt, item.data(NAME_ROLE) or "")
        self._fill(item, named)
        self.list.model().dataChanged.emit(self.list.indexFromItem(item), self.list.indexFromItem(item))
        self._sync()

    def remove_prompt(self, row: int) -> None:
        """Remove the prompt at ``row``."""
        self.list.takeItem(row)
        self._sync()

    def move_prompt(self, row: int, delta: int) -> int:
        """Move the prompt at ``row`` by ``delta`` places (clamped); return its new row."""
        target = max(0, min(self.list.count() - 1, row + delta))
        if target == row:
            return row
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._sync()
        return target

    def _sync(self) -> None:
        prompts = self.named_prompts()
        self._update_buttons()
        if prompts != self._last:
            before, self._last = self._last, prompts
            if not self._restoring:
                self.undo_stack.push(_PromptListChange(self, before, prompts, _change_name(before, prompts)))
            self.prompts_changed.emit([p.text for p in prompts])

    def _restore(self, prompts: list[NamedPrompt]) -> None:
        """Put ``prompts`` back (undo/redo), keeping the selection near where it was."""
        row = self.list.currentRow()
        self._restoring = True
        try:
            self.set_prompts(prompts)
        finally:
            self._restoring = False
        if prompts:
            self.list.setCurrentRow(min(max(row, 0), len(prompts) - 1))

    def _update_buttons(self) -> None:
        row, count = self.list.currentRow(), self.list.count()
        has = 0 <= row < count
        self.edit_action.setEnabled(has)
        self.remove_action.setEnabled(has)
        self.up_action.setEnabled(has and row > 0)
        self.down_action.setEnabled(has and row < count - 1)

    # ---- user actions ---------------------------------------------------------

    def add_with_dialog(self) -> None:
        """Ask for a new prompt (and its name) and append it."""
        prompt = ask_prompt(self, "Add prompt")
        if prompt:
            self.add_prompt(prompt)

    def edit_selected(self) -> None:
        """Ask for a new text and name for the selected prompt."""
        row = self.list.currentRow()
        if row < 0:
            return
        current = self.named_prompts()[row]
        prompt = ask_prompt(self, f"Edit prompt “{current.title}”", current)
        if prompt:
            self.edit_prompt(row, prompt)

    def remove_selected(self) -> None:
        """Remove the selected prompt (Ctrl+Z brings it back, and ``notice`` says so)."""
        row = self.list.currentRow()
        if row >= 0:
            title = self.named_prompts()[row].title
            self.remove_prompt(row)
            self.notice.emit(f"Removed the prompt “{title}”. Ctrl+Z in the prompt list brings it back.")

    def move_selected(self, delta: int) -> None:
        """Move the selected prompt up (-1) or down (+1)."""
        row = self.list.currentRow()
        if row >= 0:
            self.move_prompt(row, delta)

    def reset_with_confirm(self) -> None:
        """Put back the three default prompts after asking."""
        answer = QMessageBox.question(self, "Reset prompts", "Replace your prompts with the three default prompts?")
        if answer == QMessageBox.StandardButton.Yes:
            self.set_prompts(default_named_prompts())


def _named(prompt: str | NamedPrompt) -> NamedPrompt:
    return prompt if isinstance(prompt, NamedPrompt) else NamedPrompt(prompt)


def _change_name(before: list[NamedPrompt], after: list[NamedPrompt]) -> str:
    """What changed, for the Undo menu item: "Remove “Summary”", "Add …", "Edit prompt", "Move prompt", ..."""
    if len(after) == len(before) + 1:
        added = next((p for p in after if p not in before), after[-1])
        return f"Add “{added.title}”"
    if len(after) == len(before) - 1:
        removed = next((p for p in before if p not in after), before[-1])
        return f"Remove “{removed.title}”"
    if sorted(after, key=_sort_key) == sorted(before, key=_sort_key):
        return "Move prompt"
    if len(after) == len(before) and sum(a != b for a, b in zip(before, after)) == 1:
        return "Edit prompt"
    return "Replace prompts"


def _sort_key(prompt: NamedPrompt) -> tuple[str, str]:
    return prompt.text, prompt.name
