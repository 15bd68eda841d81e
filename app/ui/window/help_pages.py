"""The Help menu's pages: every keyboard shortcut, how Hearsay works and what stays on this machine, About.

The shortcut list is read from the window's own actions (their texts and key
sequences), so it cannot drift from what the keys do; keys handled inside a
widget (Enter in the Ask line, arrows from the History search) and the transcript's timestamp links
are listed from ``WIDGET_KEYS``.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

WIDGET_KEYS = (
    ("Tab / Shift+Tab", "Move the focus to the next / previous control"),
    ("Enter (in the Ask line)", "Ask the question"),
    ("Enter / Esc (renaming a speaker)", "Keep the new name / keep the old one"),
    ("Enter / Ctrl+Enter (in a prompt dialog)", "New line / save the prompt"),
    ("Down (in the History search)", "Go to the results; Enter opens the selected one"),
    ("Click a [mm:ss] / double-click a line (in the transcript)", "Play the recording from there"),
    ("F2 (in the transcript)", "Correct the segment's text in place (Enter keeps it, Esc drops it)"),
    ("Right-click a line (in the transcript)", "Edit, split, merge, or give the segment to another speaker"),
    ("Ctrl+F (in the results)", "Find in the transcript; Enter / Shift+Enter, F3 / Shift+F3 for the next / previous"),
    ("Alt+letter", "Open a menu (the underlined letter)"),
)


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what they do) for every action of ``window`` and its children that has a shortcut, in menu order."""
    rows, seen = [], set()
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        label = action.text().replace("&", "").rstrip("…").strip()
        if not keys or not label or (label, tuple(keys)) in seen:
            continue
        seen.add((label, tuple(keys)))
        rows.append((" or ".join(keys), label))
    return rows


def shortcuts_html(window: QWidget) -> str:
    """The shortcuts page as an HTML table."""
    rows = shortcut_rows(window) + list(WIDGET_KEYS)
    body = "".join(f"<tr><td style='padding:3px 16px 3px 0'><b>{keys}</b></td><td>{what}</td></tr>"
                   for keys, what in rows)
    return f"<h3>Keyboard shortcuts</h3><table>{body}</table>"


HOW_IT_WORKS = """
<h3>How Hearsay works</h3>
<ol>
<li><b>Transcribe.</b> Each file you add is decoded and transcribed on this computer by Whisper
(faster-whisper). The transcript appears segment by segment.</li>
<li><b>Speakers.</b> Hearsay then finds who speaks when, on this computer, and shows the transcript in
turns: Speaker 1, Speaker 2… Click a speaker's label to name it; the name is used in the exports and the
answers from then on (Ctrl+Z undoes a rename). With “Recognise voices across recordings” on (Settings), it
keeps a voiceprint of each speaker you name (a voice embedding, never audio) and names the same voice in
later recordings, marked “recognised” until you confirm it.</li>
<li><b>Prompts.</b> Every prompt in the list runs over the transcript with a local language model
(llama.cpp). The transcript is read once for all prompts; each answer streams into its own tab.
A transcript too long for the model's context is read in parts and the answers combined.</li>
<li><b>Ask.</b> Questions in the Ask line run over the same transcript and start at once.</li>
<li><b>Keep.</b> Every analysis is stored as it runs in the History (Ctrl+H), so a crash or a
closed window loses almost nothing; Resume finishes an interrupted run.</li>
</ol>
<h3>What stays on this machine</h3>
<p>Everything. Recordings, transcripts, prompts and answers never leave this computer: Hearsay opens
no network connection while it analyses. The History, the logs (which hold no transcript text) and
the cached model states live in Hearsay's folders in your user profile.</p>
"""


def _page(parent: QWidget, title: str, html: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(620, 560)
    text = QTextBrowser()
    text.setHtml(html)
    text.setOpenExternalLinks(False)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text, 1)
    layout.addWidget(buttons)
    return dialog


def show_shortcuts(window: QWidget) -> QDialog:
    """Help → Keyboard shortcuts (non-modal; returns the dialog)."""
    dialog = _page(window, "Keyboard shortcuts", shortcuts_html(window))
    dialog.show()
    return dialog


def show_how_it_works(window: QWidget) -> QDialog:
    """Help → How Hearsay works (non-modal; returns the dialog)."""
    dialog = _page(window, "How Hearsay works", HOW_IT_WORKS)
    dialog.show()
    return dialog


def show_about(parent: QWidget, settings_file: str) -> None:
    """Help → About."""
    QMessageBox.about(parent, "About Hearsay",
                      "<b>Hearsay</b> 0.1.0<br>Transcribe recordings and run your prompts over them, "
                      "privately, on this computer (faster-whisper and llama.cpp).<br><br>"
                      f"Settings: {settings_file}")
