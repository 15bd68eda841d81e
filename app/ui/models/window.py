"""The Models window: one list per role (speech to text, language model) with each model's size, languages,
licence, note, state and the model recommended for this computer; Download, Cancel, Use, Remove, Show in
folder; Add model… (import a .gguf file or a Whisper folder, copied or used where it lies); and the hub settings
(an endpoint or mirror, remembered in the settings; an access token, kept only in the OS keyring).

Downloads and imports run in ``ModelTask`` threads (``tasks.py``); the window never waits on the network or the
disk in the GUI thread except to delete a removed model. Closing the window cancels what runs and waits for it
(a partial download stays and resumes next time).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import HearsayError
from app.core.hub import advice, credentials, downloads, imports, installed
from app.core.hub import catalog as catalog_module
from app.core.hub.advice import MachineProfile, Recommendation
from app.core.user_files import display_path, format_bytes
from app.ui.models.listing import ROLE_TITLES, ROLES, ModelItem, in_use_id, list_models, setting_value
from app.ui.models.rows import ModelRow
from app.ui.models.tasks import ModelTask, ProfileProbe
from app.ui.settings.store import Settings
from app.ui.widgets import section_title

log = logging.getLogger(__name__)

IMPORT_TASK = "import"
"""The task id of an import (one at a time)."""
STYLE = """
QFrame#modelRow { background: #ffffff; border: 1px solid #e2e8f0; border-radius: 10px; }
QLabel#modelTitle { font-weight: 600; color: #0f172a; }
QLabel#modelBadge { background: #dcfce7; color: #166534; border-radius: 8px; padding: 1px 8px; font-weight: 600; }
QLabel#modelInUse { background: #e0e7ff; color: #3730a3; border-radius: 8px; padding: 1px 8px; font-weight: 600; }
QLabel#modelEstimate { color: #166534; }
QLabel#modelState { color: #334155; }
QLabel#modelError, QLabel#modelsNotice[severity="error"] { color: #b91c1c; }
QLabel#modelsNotice[severity="warning"] { color: #92400e; }
QLabel#modelsNotice[severity="info"] { color: #334155; }
QPushButton:disabled { color: #a3acbb; border-color: #e2e8f0; background: #f8fafc; }
"""
SETTING_KEYS = {"whisper": Settings.Key.WHISPER_MODEL, "llm": Settings.Key.LLM_MODEL}


def _sentence(text: str, capital: bool = True) -> str:
    """A core message (a clause) as a sentence; ``capital`` False keeps a leading file name as it is."""
    text = text.strip()
    if capital:
        text = text[:1].upper() + text[1:]
    return text + ("" if text.endswith((".", "?", "!")) else ".")


# ---- questions to the user (tests replace these functions) ------------------------------------------------

def choose_import_path(parent: QWidget, kind: str) -> str | None:
    """Ask for a model to import: ``kind`` "gguf" (a language model file) or "whisper" (a CTranslate2 Whisper
    folder, also one from the Hugging Face cache). None when cancelled."""
    if kind == "whisper":
        folder = QFileDialog.getExistingDirectory(parent, "Choose a faster-whisper (CTranslate2) model folder",
                                                  str(Path.home()))
        return folder or None
    path, _ = QFileDialog.getOpenFileName(parent, "Choose a GGUF language model", str(Path.home()),
                                          "GGUF models (*.gguf);;All files (*)")
    return path or None


def choose_import_mode(parent: QWidget, path: str) -> str | None:
    """Ask whether to copy ``path`` into Hearsay's models folder or use it where it lies: "copy", "reference"
    or None (cancelled)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Add model",
                      f"Add {display_path(path)}: copy it into Hearsay's models folder (it keeps working when "
                      f"the original moves; costs its size in disk space), or use it where it lies (no copy; "
                      f"moving or deleting the original makes it unusable)?", parent=parent)
    copy = box.addButton("Copy", QMessageBox.ButtonRole.AcceptRole)
    refer = box.addButton("Use where it lies", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(copy)
    box.exec()
    return {copy: "copy", refer: "reference"}.get(box.clickedButton())


def confirm_remove(parent: QWidget, question: str) -> bool:
    """Ask ``question`` (Remove / Cancel, Cancel the default); True to remove."""
    box = QMessageBox(QMessageBox.Icon.Question, "Remove model", question, parent=parent)
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    return box.clickedButton() is remove


class ModelsWindow(QDialog):
    """The Models window over ``settings``.

    ``profile``: this computer's ``MachineProfile`` when already known (else it is read in the background and
    the recommendation badges appear when it is ready).

    Signals: ``model_chosen(role, model_id)`` after Use changed the settings; ``models_changed()`` after a model
    was installed, imported or removed; ``download_ended(model_id, outcome, detail)`` when a download ended
    (outcome "done", "cancelled" or "failed"; detail: the sentence of a failure, else "").
    """

    model_chosen = Signal(str, str)
    models_changed = Signal()
    download_ended = Signal(str, str, str)

    def __init__(self, settings: Settings, parent: QWidget | None = None, *,
                 profile: MachineProfile | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsWindow")
        self.setWindowTitle("Models")
        self.setStyleSheet(STYLE)
        self.resize(940, 760)
        self.settings = settings
        self.profile: MachineProfile | None = None
        self.recommendations: dict[str, Recommendation | None] = {}
        self.rows: dict[str, ModelRow] = {}
        self.items: dict[str, ModelItem] = {}
        self.tasks: dict[str, ModelTask] = {}
        self._closed = False

        self.machine = QLabel("Looking at this computer's memory and processor…")
        self.machine.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("modelsNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()

        lists = QWidget()
        lists.setObjectName("modelLists")
        self._sections: dict[str, QVBoxLayout] = {}
        lists_layout = QVBoxLayout(lists)
        lists_layout.setContentsMargins(0, 0, 6, 0)
        lists_layout.setSpacing(8)
        for role in ROLES:
            lists_layout.addWidget(section_title(ROLE_TITLES[role].upper()))
            section = QVBoxLayout()
            section.setSpacing(6)
            lists_layout.addLayout(section)
            self._sections[role] = section
        lists_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(lists)

        self.endpoint = QLineEdit(settings.hub_endpoint())
        self.endpoint.setPlaceholderText(f"{downloads.DEFAULT_ENDPOINT} (or the HF_ENDPOINT environment variable)")
        self.endpoint.setToolTip("Where downloads come from: the Hugging Face hub, or a mirror that serves the same "
                                 "addresses (as the HF_ENDPOINT environment variable). Empty: HF_ENDPOINT, else "
                                 "huggingface.co.")
        self.endpoint.setClearButtonEnabled(True)
        self.endpoint.editingFinished.connect(self.save_endpoint)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setToolTip("An access token for gated or private repos (hf_…). Kept only in the OS keyring, "
                              "never in Hearsay's settings file or logs.")
        self.save_token_button = QPushButton("Save token")
        self.save_token_button.clicked.connect(self.save_token)
        self.forget_token_button = QPushButton("Forget token")
        self.forget_token_button.clicked.connect(self.forget_token)
        self.hub_status = QLabel()
        self.hub_status.setObjectName("resultMeta")
        self.hub_status.setWordWrap(True)
        token_row = QWidget()
        token_layout = QHBoxLayout(token_row)
        token_layout.setContentsMargins(0, 0, 0, 0)
        token_layout.addWidget(self.token, 1)
        token_layout.addWidget(self.save_token_button)
        token_layout.addWidget(self.forget_token_button)
        hub = QFormLayout()
        hub.addRow(section_title("HUB"))
        hub.addRow("Endpoint (mirror):", self.endpoint)
        hub.addRow("Access token:", token_row)
        hub.addRow("", self.hub_status)

        self.add_button = QPushButton("Add model…")
        self.add_button.setToolTip("Add a model you already have: a .gguf language model file or a faster-whisper "
                                   "(CTranslate2) model folder")
        menu = QMenu(self.add_button)
        menu.addAction("Language model file (.gguf)…", lambda: self.add_model("gguf"))
        menu.addAction("Whisper model folder…", lambda: self.add_model("whisper"))
        self.add_button.setMenu(menu)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.machine)
        layout.addWidget(self.notice)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(hub)
        layout.addLayout(bottom)
        self._show_token_state()
        self.refresh()
        self._no_default_buttons()
        if profile is not None:
            self.set_profile(profile)
        else:
            self._probe = ProfileProbe(self)
            self._probe.ready.connect(self.set_profile)
            self._probe.start()

    # ---- the lists ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the catalog, the installed models and the settings again and update every row."""
        chosen = self.settings.engine_settings()
        values = {"whisper": chosen.whisper_model, "llm": chosen.llm_model}
        seen = set()
        for role in ROLES:
            items = list_models(role)
            using = in_use_id(role, values[role], items)
            for position, item in enumerate(items):
                seen.add(item.id)
                self.items[item.id] = item
                row = self.rows.get(item.id)
                if row is None:
                    row = ModelRow(item)
                    row.action.connect(self._on_action)
                    self.rows[item.id] = row
                    self._sections[role].insertWidget(position, row)
                    for button in row.buttons.values():
                        button.setAutoDefault(False)
                row.show_item(item, in_use=item.id == using, downloading=item.id in self.tasks)
                row.set_recommendation(self.recommendations.get(role))
        for model_id in [m for m in self.rows if m not in seen]:
            self.rows.pop(model_id).deleteLater()
            self.items.pop(model_id, None)

    def _no_default_buttons(self) -> None:
        # Enter in the endpoint or token field must not press a button (Download, Save token, Close) of the dialog.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)

    def in_use(self, role: str) -> str | None:
        """The id of the model of ``role`` the settings use (None: a model outside the list)."""
        value = self.settings.engine_settings().whisper_model if role == "whisper" else \
            self.settings.engine_settings().llm_model
        return in_use_id(role, value, [i for i in self.items.values() if i.role == role])

    def set_profile(self, profile: MachineProfile) -> None:
        """This computer's profile is known: compute the recommendation per role and show the badges."""
        if self._closed:
            return
        self.profile = profile
        try:
            self.recommendations = advice.recommend_all(profile, catalog_module.catalog())
        except Exception:  # a catalog without sizes must not keep the window from listing the models
            log.exception("cannot compute the recommendations")
            self.recommendations = {}
        described = profile.describe() if profile.ram_bytes else "memory unknown"
        self.machine.setText(f"This computer: {described}. The model marked “Recommended for this computer” is "
                             f"the largest that fits its memory with a margin and analyses a one-hour meeting in "
                             f"reasonable time; its time is an estimate (hover over it for how it is computed).")
        for row in self.rows.values():
            row.set_recommendation(self.recommendations.get(row.item.role))

    def _on_action(self, kind: str, model_id: str) -> None:
        {"download": self.download, "cancel": self.cancel, "use": self.use, "remove": self.remove,
         "folder": self.show_in_folder}[kind](model_id)

    def show_notice(self, text: str, severity: str = "info") -> None:
        """Say ``text`` above the lists ("" hides it); ``severity`` "info", "warning" or "error"."""
        self.notice.setText(text)
        self.notice.setProperty("severity", severity)
        self.notice.style().unpolish(self.notice)
        self.notice.style().polish(self.notice)
        self.notice.setVisible(bool(text))

    # ---- actions --------------------------------------------------------------------------------------

    def download(self, model_id: str) -> bool:
        """Start downloading ``model_id`` (from the endpoint set here) in a task thread; False (with the reason in
        its row) when it is not downloadable, already running, or the endpoint is not valid."""
        item, row = self.items.get(model_id), self.rows.get(model_id)
        if item is None or row is None or model_id in self.tasks or self._closed:
            return False
        if not item.downloadable:
            row.show_error(f"{item.title} has no hub source to download from.")
            return False
        try:
            endpoint = self.endpoint_value()
        except downloads.DownloadError as exc:
            row.show_error(_sentence(exc.message))
            return False
        entry = item.entry

        def work(cancel, progress):
            return downloads.download(entry, endpoint=endpoint, cancel=cancel, progress=progress)

        task = ModelTask(model_id, work, self)
        task.progressed.connect(self._on_progress)
        task.ended.connect(self._on_download_ended)
        self.tasks[model_id] = task
        row.start_download()
        row.show_item(item, in_use=model_id == self.in_use(item.role), downloading=True)
        task.start()
        return True

    def cancel(self, model_id: str) -> None:
        """Cancel the download of ``model_id`` (it stops within a second; the partial file stays)."""
        task = self.tasks.get(model_id)
        if task is not None:
            task.cancel()
            if model_id in self.rows:
                self.rows[model_id].state.setText("Cancelling…")

    def _on_progress(self, model_id: str, report) -> None:
        row = self.rows.get(model_id)
        if row is not None and model_id in self.tasks:
            row.show_progress(report)

    def _on_download_ended(self, model_id: str, outcome: str, value) -> None:
        task = self.tasks.pop(model_id, None)
        if task is not None:
            task.wait()
            task.deleteLater()
        self.refresh()
        row = self.rows.get(model_id)
        detail = _sentence(value) if outcome == "failed" and isinstance(value, str) else ""
        if row is not None:
            row.show_error(detail)
        if outcome == "done":
            self.models_changed.emit()
        self.download_ended.emit(model_id, outcome, detail)

    def use(self, model_id: str) -> bool:
        """Make ``model_id`` the model of its role in the settings (for the next file analysed); False when it is
        not installed."""
        item = self.items.get(model_id)
        if item is None or item.state not in ("bundled", "installed"):
            return False
        self.settings.set_value(SETTING_KEYS[item.role], setting_value(item))
        self.refresh()
        self.model_chosen.emit(item.role, model_id)
        return True

    def remove(self, model_id: str) -> bool:
        """Remove ``model_id`` after asking; refused (False, with the reason in its row) for a bundled model and
        for the model in use."""
        item, row = self.items.get(model_id), self.rows.get(model_id)
        if item is None or row is None or item.model is None:
            return False
        if item.state == "bundled":
            row.show_error(f"{item.title} is bundled with Hearsay and cannot be removed.")
            return False
        if model_id == self.in_use(item.role):
            row.show_error(f"{item.title} is in use; choose another model first, then remove it.")
            return False
        if item.model.how == "referenced":
            what = f"Hearsay forgets {item.title}; the file at {display_path(item.model.path)} stays where it is."
        else:
            what = f"Its files ({format_bytes(item.model.size_bytes)}) are deleted; it can be downloaded again."
        if not confirm_remove(self, f"Remove {item.title}? {what}"):
            return False
        try:
            installed.remove(model_id)
        except HearsayError as exc:
            row.show_error(_sentence(exc.message))
            return False
        self.refresh()
        self.show_notice(f"Removed {item.title}.")
        self.models_changed.emit()
        return True

    def show_in_folder(self, model_id: str) -> bool:
        """Open the folder of ``model_id`` in the file manager (``QDesktopServices``)."""
        item = self.items.get(model_id)
        folder = item.folder if item is not None else None
        if folder is None:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def add_model(self, kind: str) -> bool:
        """Add model…: ask for a .gguf file (``kind`` "gguf") or a Whisper folder ("whisper"), then whether to
        copy it or use it where it lies, and import it in a task thread (validated and hashed). False when
        cancelled or an import already runs."""
        if IMPORT_TASK in self.tasks or self._closed:
            return False
        path = choose_import_path(self, kind)
        if not path:
            return False
        mode = choose_import_mode(self, path)
        if mode is None:
            return False

        def work(cancel, _progress):
            return imports.import_model(path, mode=mode, cancel=cancel)

        task = ModelTask(IMPORT_TASK, work, self)
        task.ended.connect(self._on_import_ended)
        self.tasks[IMPORT_TASK] = task
        self.add_button.setEnabled(False)
        self.show_notice(f"Checking and adding {display_path(path)}…")
        task.start()
        return True

    def _on_import_ended(self, _task_id: str, outcome: str, value) -> None:
        task = self.tasks.pop(IMPORT_TASK, None)
        if task is not None:
            task.wait()
            task.deleteLater()
        self.add_button.setEnabled(True)
        if outcome == "failed":
            self.show_notice(_sentence(value), "error")
        elif outcome == "cancelled":
            self.show_notice("Adding the model was cancelled; nothing was added.")
        else:
            model = value.model
            said = f"Added {model.id} ({'copied' if model.how == 'copied' else 'used where it lies'}); Use makes it " \
                   f"the {'speech' if model.role == 'whisper' else 'language'} model."
            warnings = " ".join(_sentence(w, capital=False) for w in value.warnings)  # they start with a file name
            self.show_notice(f"{said} {warnings}".strip(), "warning" if warnings else "info")
            self.refresh()
            self.models_changed.emit()

    # ---- hub settings ---------------------------------------------------------------------------------

    def endpoint_value(self) -> str | None:
        """The endpoint typed here (None: empty, so ``HF_ENDPOINT`` or huggingface.co). Raises DownloadError
        when it is not an http(s) address."""
        text = self.endpoint.text().strip()
        return downloads.hub_endpoint(text) if text else None

    def save_endpoint(self) -> bool:
        """Remember the endpoint typed here in the settings when it is valid; else say why. True when saved."""
        try:
            value = self.endpoint_value()
        except downloads.DownloadError as exc:
            self.hub_status.setText(_sentence(exc.message))
            return False
        self.settings.set_hub_endpoint(value or "")
        self._show_token_state()
        return True

    def save_token(self) -> bool:
        """Store the typed token in the OS keyring (never in the settings file); the field is emptied. True when
        stored; else the status says why (no keyring here: use HF_TOKEN)."""
        token = self.token.text().strip()
        if not token:
            return False
        try:
            credentials.set_token(token)
        except credentials.CredentialsError as exc:
            self.hub_status.setText(_sentence(exc.message))
            return False
        finally:
            self.token.clear()
        self._show_token_state("The access token is stored in the OS keyring.")
        return True

    def forget_token(self) -> None:
        """Remove the stored token from the OS keyring."""
        try:
            credentials.clear_token()
        except credentials.CredentialsError as exc:
            self.hub_status.setText(_sentence(exc.message))
            return
        self._show_token_state("The access token was removed from the OS keyring.")

    def _show_token_state(self, said: str = "") -> None:
        available = credentials.keyring_available()
        self.save_token_button.setEnabled(available)
        self.forget_token_button.setEnabled(available)
        if not available:
            self.token.setPlaceholderText("No OS keyring here: set the HF_TOKEN environment variable instead")
            self.token.setEnabled(False)
        else:
            self.token.setPlaceholderText("Only for gated or private models; kept in the OS keyring")
        self.hub_status.setText(said or "Downloads happen only when you press Download; analyses never go online.")

    # ---- closing --------------------------------------------------------------------------------------

    def running(self) -> list[str]:
        """The ids of the downloads (and "import") running now."""
        return list(self.tasks)

    def shutdown(self) -> None:
        """Cancel every download and import and wait for their threads (idempotent); partial downloads stay."""
        self._closed = True
        for task in list(self.tasks.values()):
            task.stop()
        self.tasks.clear()  # their ``ended`` signals still come (queued) and update the rows
        self.add_button.setEnabled(True)

    def showEvent(self, event) -> None:  # noqa: D102, N802 (a window shown again after a close works again)
        self._closed = False
        self.refresh()
        super().showEvent(event)

    def done(self, result: int) -> None:  # noqa: D102 (closing by Close, Esc or the title bar cancels the work)
        self.shutdown()
        super().done(result)
