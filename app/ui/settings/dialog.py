"""The Settings dialog: which models to use, on which device, in which language, how long the answers,
and the speed options (beam size, VAD, batched decoding, context window, overlap).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.hub.catalog import WHISPER_SIZES, default_entry
from app.core.pipeline.engines import EngineSettings
from app.core.user_files import display_path, kind_problem
from app.ui.settings.store import (
    BATCH_SIZE_RANGE,
    BEAM_SIZE_RANGE,
    CONTEXT_WINDOW_RANGE,
    DEVICES,
    MAX_TOKENS_RANGE,
    OVERLAP_CHOICES,
    Settings,
)

LANGUAGES = [
    ("", "Detect automatically"), ("en", "English"), ("de", "German"), ("fr", "French"), ("es", "Spanish"),
    ("it", "Italian"), ("pt", "Portuguese"), ("nl", "Dutch"), ("pl", "Polish"), ("sv", "Swedish"),
    ("ru", "Russian"), ("uk", "Ukrainian"), ("tr", "Turkish"), ("ar", "Arabic"), ("hi", "Hindi"),
    ("ja", "Japanese"), ("ko", "Korean"), ("zh", "Chinese"),
]  # fmt: skip
DEVICE_LABELS = {"auto": "Automatic (GPU when available)", "cpu": "CPU", "cuda": "CUDA GPU"}
OVERLAP_LABELS = {
    "auto": "Automatic (on with a GPU or two or more cores)",
    "on": "On: transcribe the next file while the prompts run",
    "off": "Off: one file at a time",
}


def _spin(bounds: tuple[int, int], value: int, step: int = 1, special: str = "", suffix: str = "",
          tip: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(*bounds)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setSpecialValueText(special)  # shown for the minimum
    spin.setSuffix(suffix)
    spin.setToolTip(tip)
    return spin


def _default_name(role: str) -> str:
    try:
        return default_entry(role).name
    except Exception:  # a broken catalog must not keep the dialog from opening
        return "the bundled default"


class SettingsDialog(QDialog):
    """Edit the model and speed settings and remember them in ``settings`` when accepted.

    ``engine_settings()`` gives the choice shown in the dialog. Changes apply
    to the next file analysed; the worker reloads the models only when they
    changed.

    Thread-safety: GUI thread only.
    """

    def __init__(self, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hearsay Settings")
        self.setMinimumWidth(660)
        self._settings = settings
        current = settings.engine_settings()

        self.whisper = QComboBox()
        self.whisper.setEditable(True)
        self.whisper.addItems(["", *WHISPER_SIZES])
        self.whisper.lineEdit().setPlaceholderText(f"Default: {_default_name('whisper')} (bundled)")
        self.whisper.setCurrentText(current.whisper_model or "")
        self.whisper.setToolTip("A faster-whisper size name (tiny.en, base, small, …) or a CTranslate2 model folder")
        whisper_browse = QPushButton("Folder…")
        whisper_browse.clicked.connect(self._browse_whisper)

        self.llm = QLineEdit(current.llm_model or "")
        self.llm.setPlaceholderText(f"Default: {_default_name('llm')} (bundled)")
        self.llm.setToolTip("A .gguf model file; a 1–4B instruct model gives much better answers than the default")
        self.llm.setClearButtonEnabled(True)
        llm_browse = QPushButton("Choose…")
        llm_browse.clicked.connect(self._browse_llm)

        self.device = QComboBox()
        for device in DEVICES:
            self.device.addItem(DEVICE_LABELS[device], device)
        self.device.setCurrentIndex(max(self.device.findData(current.device), 0))

        self.language = QComboBox()
        self.language.setEditable(True)
        for code, label in LANGUAGES:
            self.language.addItem(f"{label} ({code})" if code else label, code)
        index = self.language.findData(current.language or "")
        if index >= 0:
            self.language.setCurrentIndex(index)
        else:
            self.language.setEditText(current.language or "")
        self.language.setToolTip("The spoken language (ISO 639-1 code such as en or de), or detect it")

        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(*MAX_TOKENS_RANGE)
        self.max_tokens.setSingleStep(64)
        self.max_tokens.setValue(current.max_tokens)
        self.max_tokens.setSuffix(" tokens")

        self.beam_size = _spin(BEAM_SIZE_RANGE, current.beam_size,
                               tip="1 decodes greedily (fastest); wider beams are slower and sometimes more accurate")
        self.vad_filter = QCheckBox("Skip silence before transcribing (Silero VAD)")
        self.vad_filter.setChecked(current.vad_filter)
        self.batch_size = _spin(BATCH_SIZE_RANGE, current.batch_size, special="Off", suffix=" segments",
                                tip="Decode this many audio segments at once (faster on a GPU); Off decodes in order")
        self.context_window = _spin(CONTEXT_WINDOW_RANGE, current.context_window or 0, 1024, "Model default",
                                    " tokens", "The most tokens the language model's context may hold; longer "
                                    "transcripts are read in parts (map-reduce)")
        self.overlap = QComboBox()
        for value, label in OVERLAP_LABELS.items():
            self.overlap.addItem(label, value)
        stored = {None: "auto", True: "on", False: "off"}[current.overlap]
        self.overlap.setCurrentIndex(self.overlap.findData(stored))

        self.auto_start = QCheckBox("Start analysing files as soon as they are added")
        self.auto_start.setChecked(settings.auto_start())

        self.error = QLabel()
        self.error.setObjectName("resultMeta")
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.hide()

        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Whisper model:", self._row(self.whisper, whisper_browse))
        form.addRow("Language model (GGUF):", self._row(self.llm, llm_browse))
        form.addRow("Device:", self.device)
        form.addRow("Spoken language:", self.language)
        form.addRow("Longest answer:", self.max_tokens)
        form.addRow("", self.auto_start)
        speed = QLabel("SPEED")
        speed.setObjectName("sectionTitle")
        form.addRow(speed)
        form.addRow("Whisper beam size:", self.beam_size)
        form.addRow("", self.vad_filter)
        form.addRow("Batched decoding:", self.batch_size)
        form.addRow("Context window:", self.context_window)
        form.addRow("Overlap files:", self.overlap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    @staticmethod
    def _row(field: QWidget, button: QPushButton) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, 1)
        layout.addWidget(button)
        return row

    def _browse_whisper(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a faster-whisper model folder",
                                                  self.whisper.currentText() or str(Path.home()))
        if folder:
            self.whisper.setCurrentText(folder)

    def _browse_llm(self) -> None:
        start = self.llm.text() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", start, "GGUF models (*.gguf);;All files (*)")
        if path:
            self.llm.setText(path)

    def _language_code(self) -> str:
        index = self.language.currentIndex()
        text = self.language.currentText().strip()
        if index >= 0 and self.language.itemText(index) == text:
            return self.language.itemData(index) or ""
        return text.lower()

    def engine_settings(self) -> EngineSettings:
        """The choice shown in the dialog."""
        return EngineSettings(
            whisper_model=self.whisper.currentText().strip() or None,
            llm_model=self.llm.text().strip() or None,
            device=self.device.currentData(),
            language=self._language_code() or None,
            max_tokens=self.max_tokens.value(),
            beam_size=self.beam_size.value(),
            vad_filter=self.vad_filter.isChecked(),
            batch_size=self.batch_size.value(),
            context_window=self.context_window.value() or None,
            overlap=OVERLAP_CHOICES[self.overlap.currentData()],
        )

    def validate(self) -> str | None:
        """A sentence naming what is wrong with the choice, or None."""
        chosen = self.engine_settings()
        if chosen.llm_model:
            path = Path(chosen.llm_model).expanduser()
            if path.suffix.lower() == ".gguf" or path.is_absolute():
                problem = kind_problem(path)  # a named pipe or a device is not a model, and opening one would block
                if problem is not None and problem.kind == "missing":
                    return f"The language model file {display_path(path)} does not exist."
                if problem is not None:
                    return f"The language model file {display_path(path)} {problem.message}."
        if chosen.language and not (2 <= len(chosen.language) <= 3 and chosen.language.isalpha()):
            return f"“{chosen.language}” is not a language code; use a code such as en or de."
        return None

    def accept(self) -> None:
        problem = self.validate()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        self._settings.set_engine_settings(self.engine_settings())
        self._settings.set_auto_start(self.auto_start.isChecked())
        super().accept()
