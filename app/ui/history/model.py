"""The History panel's table model: stored analyses, or the search hits among them.

One row per ``LibraryEntry`` (newest first), or, while searching, one row per
``SearchHit`` with its entry and a "Match" column showing where the words were
found. Columns: file, date (local), duration, prompts done/total, status.

Thread-safety: GUI thread only; it holds plain rows read from the library, never a connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from app.core.export.markdown import format_duration
from app.core.library.store import INTERRUPTED, LibraryEntry, SearchHit
from app.ui import theme
from app.ui.messages import local_date

STATUS_TEXT = {"done": "Done", "failed": "Failed", "cancelled": "Cancelled", INTERRUPTED: "Interrupted",
               "running": "Running", "queued": "Queued"}
STATUS_ICONS = {"done": "state-done", "failed": "state-failed", "cancelled": "state-cancelled",
                INTERRUPTED: "state-warning", "running": "state-running", "queued": "state-queued"}
STATUS_COLORS = {"failed": "#b91c1c", INTERRUPTED: "#b45309"}


@dataclass(frozen=True)
class HistoryRow:
    """One row: a stored analysis and, while searching, the ``hit`` that put it there; ``earlier``: the
    older runs of the same recording it stands for (grouped rows; empty when every run has its row)."""

    entry: LibraryEntry
    hit: SearchHit | None = None
    earlier: tuple[LibraryEntry, ...] = ()


def group_runs(entries: list[LibraryEntry]) -> list[HistoryRow]:
    """One row per recording, its newest run first among ``entries`` (newest first), the others in
    ``earlier``: re-running a file does not fill the list with the same name."""
    groups: dict[str, list[LibraryEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.recording or entry.id, []).append(entry)
    return [HistoryRow(runs[0], None, tuple(runs[1:])) for runs in groups.values()]


def model_name(entry: LibraryEntry) -> str:
    """The language model's file name without its extension ("SmolLM2-135M-Instruct.Q4_1"), or "—"."""
    name = entry.llm_model.rsplit("/", 1)[-1]
    return name.removesuffix(".gguf") or "—"


def describe(entry: LibraryEntry) -> str:
    """One line naming a run: "speech.wav, 1 Dec 14:03, 3 prompts, SmolLM2-135M-Instruct.Q4_1" (then its
    state when it did not finish: ", cancelled")."""
    parts = [entry.source_name, local_date(entry.created_at),
             f"{entry.prompts_total} prompt{'s' if entry.prompts_total != 1 else ''}"]
    if entry.llm_model:
        parts.append(model_name(entry))
    if entry.status != "done":
        parts.append(status_text(entry).lower())
    return ", ".join(parts)


def status_text(entry: LibraryEntry) -> str:
    """"Done", "Failed", "Cancelled", "Interrupted" or "Running" ("Done, 1 prompt failed" when some did not finish)."""
    text = STATUS_TEXT.get(entry.status, entry.status.capitalize())
    missing = entry.prompts_total - entry.prompts_done
    if entry.status == "done" and missing > 0:
        text += f", {missing} prompt{'s' if missing > 1 else ''} not done"
    return text


def _where(hit: SearchHit) -> str:
    return {"segment": "Transcript", "speaker": "Speakers"}.get(hit.kind, f"Prompt {hit.idx + 1}")


def match_text(hit: SearchHit) -> str:
    """Where a hit is and its snippet on one line, plain: "Transcript: …ship the release on…"."""
    return f"{_where(hit)}: {hit.marked('', '')}"


def match_html(hit: SearchHit) -> str:
    """``match_text`` as rich text, the matched words highlighted."""
    return f"{_where(hit)}: " + hit.marked_html(f'<span style="{HIGHLIGHT}">', "</span>")


HIGHLIGHT = "background-color:#fde68a; color:#1e293b; font-weight:600"
"""How a matched word looks in the Match column."""


class HistoryModel(QAbstractTableModel):
    """Rows of stored analyses for a ``QTableView`` (GUI thread only).

    ``set_entries`` shows the list; ``set_hits`` shows search results (adding
    the "Match" column). ``EntryRole`` gives a row's ``LibraryEntry``,
    ``HitRole`` its ``SearchHit`` (None outside a search).
    """

    EntryRole = Qt.ItemDataRole.UserRole + 1
    HitRole = Qt.ItemDataRole.UserRole + 2
    HtmlRole = Qt.ItemDataRole.UserRole + 3
    FILE, DATE, DURATION, PROMPTS, STATUS, MODEL, MATCH = range(7)
    HEADERS = ("File", "Date", "Duration", "Prompts", "Status", "Model", "Match")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[HistoryRow] = []
        self._searching = False

    # ---- contents -------------------------------------------------------------

    def set_entries(self, entries: list[LibraryEntry], grouped: bool = True) -> None:
        """Show ``entries`` (newest first, as the library gives them): one row per recording (its newest run,
        saying how many there are) when ``grouped``, else one row per run."""
        self.beginResetModel()
        self._rows = group_runs(entries) if grouped else [HistoryRow(e) for e in entries]
        self._searching = False
        self.endResetModel()

    def set_hits(self, hits: list[tuple[LibraryEntry, SearchHit]]) -> None:
        """Show search results: (entry, hit) pairs, best first."""
        self.beginResetModel()
        self._rows, self._searching = [HistoryRow(e, h) for e, h in hits], True
        self.endResetModel()

    @property
    def searching(self) -> bool:
        """True while the rows are search hits."""
        return self._searching

    def row(self, row: int) -> HistoryRow:
        """The row at ``row``."""
        return self._rows[row]

    def rows(self) -> list[HistoryRow]:
        """All rows, in order."""
        return list(self._rows)

    # ---- Qt model -------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else (7 if self._searching else 6)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        entry = row.entry
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == self.EntryRole:
            return entry
        if role == self.HitRole:
            return row.hit
        if role == self.HtmlRole and column == self.MATCH and row.hit is not None:
            return match_html(row.hit)
        if role == Qt.ItemDataRole.DecorationRole and column == self.FILE:
            return theme.icon(STATUS_ICONS.get(entry.status, "state-done"))
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATUS and entry.status in STATUS_COLORS:
            return QColor(STATUS_COLORS[entry.status])
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.DURATION, self.PROMPTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [entry.source_path, f"Analysed {local_date(entry.created_at)} · id {entry.id[:8]}"]
            if entry.prompt_names:
                lines.append(f"Prompts: {entry.prompt_names}")
            lines.append(f"Models: {entry.whisper_model or '—'}, {entry.llm_model or '—'}")
            if row.earlier:
                lines.append(f"Earlier runs: {', '.join(local_date(e.created_at) for e in row.earlier)} "
                             "(tick Every run to list them)")
            if entry.error and entry.status != "done":
                lines.append(f"{status_text(entry)}: {entry.error}")
            if entry.resumable and entry.status != "running":
                lines.append("Resume finishes what is missing.")
            if row.hit is not None:
                lines.append(match_text(row.hit))
            return "\n".join(lines)
        return None

    def _text(self, row: HistoryRow, column: int) -> str:
        entry = row.entry
        if column == self.FILE:
            runs = len(row.earlier) + 1
            return f"{entry.source_name}  ·  {runs} runs" if runs > 1 else entry.source_name
        if column == self.DATE:
            return local_date(entry.created_at)
        if column == self.DURATION:
            return format_duration(entry.duration) if entry.duration else "—"
        if column == self.PROMPTS:
            return f"{entry.prompts_done}/{entry.prompts_total}"
        if column == self.STATUS:
            return status_text(entry)
        if column == self.MODEL:
            return model_name(entry)
        return match_text(row.hit) if row.hit is not None else ""
