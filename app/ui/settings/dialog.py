"""The Settings dialog: which models to use (and Models… for the Models window), on which device, in which
language (one or several, code switching, translation to English, a custom vocabulary), who speaks (speaker
labels, the speaker count, voices recognised across recordings and Voices… to list them), how long the
answers, how they are made (system prompt, temperature), and the speed options (beam size, VAD, batched
decoding, context window, overlap).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import HearsayError, ModelError
from app.core.hub.catalog import WHISPER_SIZES, default_entry, resolve_llm, resolve_whisper, whisper_english_only
from app.core.llm.assembly import DEFAULT_TEMPERATURE, SYSTEM_TEXT, TEMPERATURE_RANGE
from app.core.pipeline.engines import EngineSettings
from app.core.speech import options
from app.ui.widgets import WrappedLabel
from app.ui.settings.store import (
    BATCH_SIZE_RANGE,
    BEAM_SIZE_RANGE,
    CONTEXT_WINDOW_RANGE,
    DEVICES,
    MAX_TOKENS_RANGE,
    OVERLAP_CHOICES,
    SPEAKER_COUNT_RANGE,
    SYSTEM_PROMPT_LIMIT,
    Settings,
)

LANGUAGES = [
    ("", "Detect automatically"), ("en", "English"), ("de", "German"), ("fr", "French"), ("es", "Spanish"),
    ("it", "Italian"), ("pt", "Portuguese"), ("nl", "Dutch"), ("pl", "Polish"), ("sv", "Swedish"),
    ("ru", "Russian"), ("uk", "Ukrainian"), ("tr", "Turkish"), ("ar", "Arabic"), ("hi", "Hindi"),
    ("ja", "Japanese"), ("ko", "Korean"), ("zh", "Chinese"),
]  # fmt: skip
DEVICE_LABELS = {"auto": "Automatic (GPU when available)", "cpu": "CPU", "cuda": "CUDA GPU"}
SPEAKER_COUNTS = {"auto": "Automatic", "exactly": "Exactly", "between": "Between"}
"""The speaker-count choices: found from the recording (one speaker included), a known count, or bounds."""
VOICEPRINTS_TEXT = ("Keeps a voiceprint (a voice embedding, never audio) of each speaker you name, in the History "
                    "library on this computer, and names matching voices in later recordings.")
OVERLAP_LABELS = {
    "auto": "Automatic (on with a GPU or 2+ cores)",
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


TIPS = {
    "whisper": "The speech-to-text model. Bigger models (base, small, large-v3-turbo) hear more accurately but "
               "transcribe more slowly; names ending in .en understand English only. You can also choose a "
               "faster-whisper model folder.",
    "llm": "The language model that answers your prompts: a .gguf file. The bundled one is tiny and fast but "
           "often wrong; a 1–4B instruct model (Qwen2.5, Llama 3.2) gives much better answers.",
    "device": "Where the models run. Automatic uses an NVIDIA GPU (or Apple's Metal for the language model) "
              "when one is available, else the processor.",
    "language": "The language spoken in the recordings. Detect automatically works for most files; naming it "
                "helps short or noisy recordings. Type several codes separated by commas (fr, en) to have "
                "Whisper choose among those only.",
    "code_switching": "For recordings that switch language: Whisper detects the language of every stretch of "
                      "speech between pauses (among the languages named above, if any) instead of once per "
                      "file. Slower.",
    "translate": "Write the transcript in English whatever language is spoken (Whisper's translation). Needs "
                 "a multilingual Whisper model such as base; the transcript remembers the language spoken.",
    "vocabulary": "Names and terms Whisper should expect (people, products, places), separated by commas. "
                  "Whisper then spells them as written here.",
    "max_tokens": "The longest an answer may be, in tokens (a token is about three quarters of a word). "
                  "An answer that reaches it is cut off, and its tab says so.",
    "auto_start": "Start transcribing a file as soon as you add it; otherwise it waits for Analyze.",
    "beam_size": "How many alternative wordings Whisper weighs at each step. 1 is the fastest; 5 is sometimes "
                 "a little more accurate and takes about twice as long.",
    "vad": "Find the stretches with speech first (Silero voice activity detection) and transcribe only those: "
           "faster for recordings with long silences.",
    "batch_size": "Transcribe this many pieces of the recording at once. Faster on a GPU, little gain on a "
                  "processor; Off transcribes them one after another.",
    "context_window": "How much text the language model reads at once, in tokens. A transcript longer than "
                      "this is read in parts and the answers combined (slower). Model default uses all the "
                      "model was trained for.",
    "overlap": "Transcribe the next file while the prompts of the previous one run. Faster for several files; "
               "the processor's cores are shared between the two.",
    "system_prompt": "Instructions the language model reads before the transcript, for every prompt (for example "
                     "\"Answer in German.\" or \"Name the speaker of each point.\"). Empty uses Hearsay's own: "
                     "answer only from the transcript. All prompts of a file still share one reading of the "
                     "transcript.",
    "diarize": "Label who speaks when (Speaker 1, Speaker 2…) after transcribing; click a label in the "
               "transcript to name the speaker. Runs on this computer; adds a few seconds per 10 minutes.",
    "speaker_count": "How many people speak. Automatic works for most recordings, one speaker included; "
                     "naming the number (or its bounds) helps when voices are similar or turns are short.",
    "voiceprints": VOICEPRINTS_TEXT + " Voices… lists them and deletes them.",
    "temperature": "How freely the language model picks its words: 0 always takes the likeliest word (the same "
                   f"answer every time), higher values vary more and invent more. Default {DEFAULT_TEMPERATURE:g}, "
                   "chosen from a measurement (docs/generation.md).",
}


def _sentence(message: str) -> str:
    """A core error message (a clause) as a sentence for the dialog."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


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

    def __init__(self, settings: Settings, parent=None, *, profile=None) -> None:
        super().__init__(parent)
        self._profile = profile  # this computer's MachineProfile for the Models window, when known
        self.setWindowTitle("Hearsay Settings")
        self.setMinimumWidth(660)
        self._settings = settings
        current = settings.engine_settings()

        self.whisper = QComboBox()
        self.whisper.setEditable(True)
        self.whisper.addItems(["", *WHISPER_SIZES])
        self.whisper.lineEdit().setPlaceholderText(f"Default: {_default_name('whisper')} (bundled)")
        self.whisper.setCurrentText(current.whisper_model or "")
        self.whisper.setToolTip(TIPS["whisper"])
        whisper_browse = QPushButton("Folder…")
        whisper_browse.clicked.connect(self._browse_whisper)

        self.llm = QLineEdit(current.llm_model or "")
        self.llm.setPlaceholderText(f"Default: {_default_name('llm')} (bundled)")
        self.llm.setToolTip(TIPS["llm"])
        self.llm.setClearButtonEnabled(True)
        llm_browse = QPushButton("Choose…")
        llm_browse.clicked.connect(self._browse_llm)

        self.device = QComboBox()
        for device in DEVICES:
            self.device.addItem(DEVICE_LABELS[device], device)
        self.device.setCurrentIndex(max(self.device.findData(current.device), 0))
        self.device.setToolTip(TIPS["device"])

        self.language = QComboBox()
        self.language.setEditable(True)
        for code, label in LANGUAGES:
            self.language.addItem(f"{label} ({code})" if code else label, code)
        index = self.language.findData(current.language or "")
        if index >= 0:
            self.language.setCurrentIndex(index)
        else:
            self.language.setEditText(current.language or "")
        self.language.setToolTip(TIPS["language"])
        self.code_switching = QCheckBox("The recordings switch language (detect it for every stretch of speech)")
        self.code_switching.setChecked(current.code_switching)
        self.code_switching.setToolTip(TIPS["code_switching"])
        self.translate = QCheckBox("Translate to English")
        self.translate.setChecked(current.translate)
        self.translate.setToolTip(TIPS["translate"])
        self.vocabulary = QLineEdit(current.vocabulary)
        self.vocabulary.setPlaceholderText("Names and terms, separated by commas: Okonkwo, Kubernetes")
        self.vocabulary.setToolTip(TIPS["vocabulary"])
        self.vocabulary.setClearButtonEnabled(True)

        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(*MAX_TOKENS_RANGE)
        self.max_tokens.setSingleStep(64)
        self.max_tokens.setValue(current.max_tokens)
        self.max_tokens.setSuffix(" tokens")
        self.max_tokens.setToolTip(TIPS["max_tokens"])

        self.beam_size = _spin(BEAM_SIZE_RANGE, current.beam_size, tip=TIPS["beam_size"])
        self.vad_filter = QCheckBox("Skip silence before transcribing (Silero VAD)")
        self.vad_filter.setChecked(current.vad_filter)
        self.vad_filter.setToolTip(TIPS["vad"])
        self.batch_size = _spin(BATCH_SIZE_RANGE, current.batch_size, special="Off", suffix=" segments",
                                tip=TIPS["batch_size"])
        self.context_window = _spin(CONTEXT_WINDOW_RANGE, current.context_window or 0, 1024, "Model default",
                                    " tokens", TIPS["context_window"])
        self.overlap = QComboBox()
        for value, label in OVERLAP_LABELS.items():
            self.overlap.addItem(label, value)
        stored = {None: "auto", True: "on", False: "off"}[current.overlap]
        self.overlap.setCurrentIndex(self.overlap.findData(stored))
        self.overlap.setToolTip(TIPS["overlap"])

        # answers: how they are made (generation settings)
        self.system_prompt = QPlainTextEdit(current.system_prompt or "")
        self.system_prompt.setPlaceholderText(f"Hearsay's own: {SYSTEM_TEXT}")
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setFixedHeight(self.system_prompt.fontMetrics().lineSpacing() * 4 + 12)
        self.system_prompt.setToolTip(TIPS["system_prompt"])
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(*TEMPERATURE_RANGE)
        self.temperature.setDecimals(2)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(current.temperature)
        self.temperature.setToolTip(TIPS["temperature"])

        # speakers
        self.diarize = QCheckBox("Find who speaks (speaker labels)")
        self.diarize.setChecked(current.diarize)
        self.diarize.setToolTip(TIPS["diarize"])
        self.speaker_count = QComboBox()
        for value, label in SPEAKER_COUNTS.items():
            self.speaker_count.addItem(label, value)
        self.speaker_count.setToolTip(TIPS["speaker_count"])
        self.num_speakers = _spin(SPEAKER_COUNT_RANGE, current.num_speakers or 2, suffix=" speakers",
                                  tip=TIPS["speaker_count"])
        self.min_speakers = _spin(SPEAKER_COUNT_RANGE, current.min_speakers or 1, tip="The fewest speakers")
        self.max_speakers = _spin(SPEAKER_COUNT_RANGE, current.max_speakers or 4, suffix=" speakers",
                                  tip="The most speakers")
        self.speakers_and = QLabel("and")
        mode = ("exactly" if current.num_speakers else
                "between" if current.min_speakers or current.max_speakers else "auto")
        self.speaker_count.setCurrentIndex(self.speaker_count.findData(mode))
        self.voiceprints = QCheckBox("Recognise voices across recordings")
        self.voiceprints.setChecked(current.voiceprints)
        self.voiceprints.setToolTip(TIPS["voiceprints"])
        self.voiceprints_text = WrappedLabel(VOICEPRINTS_TEXT)
        self.voiceprints_text.setObjectName("resultMeta")
        self.voices_button = QPushButton("Voices…")
        self.voices_button.setToolTip("List the voiceprints kept and delete them")
        self.voices_button.clicked.connect(self.open_voices)

        self.models_button = QPushButton("Models…")
        self.models_button.setToolTip("Download, add and choose the speech and language models, and see the ones "
                                      "recommended for this computer")
        self.models_button.clicked.connect(self.open_models)

        self.auto_start = QCheckBox("Start analysing files as soon as they are added")
        self.auto_start.setChecked(settings.auto_start())
        self.auto_start.setToolTip(TIPS["auto_start"])

        self.error = QLabel()
        self.error.setObjectName("resultMeta")
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.setWordWrap(True)  # the sentences on languages and models are longer than the dialog is wide
        self.error.hide()

        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Whisper model:", self._row(self.whisper, whisper_browse))
        form.addRow("Language model (GGUF):", self._row(self.llm, llm_browse))
        form.addRow("", self._row(QLabel("Get, add or remove models, with a recommendation for this computer:"),
                                  self.models_button))
        form.addRow("Device:", self.device)
        form.addRow("", self.auto_start)
        form.addRow(self._section("TRANSCRIPTION"))
        form.addRow("Spoken language:", self.language)
        form.addRow("", self.code_switching)
        form.addRow("", self.translate)
        form.addRow("Vocabulary:", self.vocabulary)
        form.addRow(self._section("SPEAKERS"))
        form.addRow("", self.diarize)
        form.addRow("Speakers:", self._speaker_count_row())
        form.addRow("", self._row(self.voiceprints, self.voices_button))
        form.addRow("", self.voiceprints_text)
        form.addRow(self._section("ANSWERS"))
        form.addRow("System prompt:", self.system_prompt)
        form.addRow("Temperature:", self.temperature)
        form.addRow("Longest answer:", self.max_tokens)
        form.addRow(self._section("SPEED"))
        form.addRow("Whisper beam size:", self.beam_size)
        form.addRow("", self.vad_filter)
        form.addRow("Batched decoding:", self.batch_size)
        form.addRow("Context window:", self.context_window)
        form.addRow("Overlap files:", self.overlap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        for label, field in ((form.labelForField(w), w) for w in (self.beam_size, self.batch_size, self.context_window,
                                                                   self.max_tokens, self.overlap, self.device,
                                                                   self.system_prompt, self.temperature,
                                                                   self._count_row)):
            if label is not None:
                label.setToolTip(field.toolTip())  # the row's label explains it too
        # The form scrolls when the screen is shorter than it (a 1024x700 laptop): OK and Cancel stay in view.
        body = QWidget()
        body.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll = scroll
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        # Said when chosen, not when the first file fails: every change is checked at once.
        self.whisper.currentTextChanged.connect(self._revalidate)
        self.llm.textChanged.connect(self._revalidate)
        self.language.currentTextChanged.connect(self._revalidate)
        self.translate.toggled.connect(self._revalidate)
        self.code_switching.toggled.connect(self._revalidate)
        self.diarize.toggled.connect(self._update_speakers)
        self.speaker_count.currentIndexChanged.connect(self._update_speakers)
        self.min_speakers.valueChanged.connect(self._update_speakers)
        self._update_speakers()
        self._revalidate()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Size the form's scroll area to the form once it is styled: whole where the screen has room, else as
        tall as the screen allows (the title bar, the error line and the buttons keep theirs)."""
        body = self._scroll.widget()
        screen = self.screen().availableGeometry() if self.screen() else None
        room = screen.height() - 160 if screen else 10_000
        self._scroll.setMinimumHeight(min(body.sizeHint().height(), max(room, 240)))
        self._scroll.setMinimumWidth(body.sizeHint().width() + self._scroll.verticalScrollBar().sizeHint().width())
        self.layout().activate()
        self.resize(self.size().expandedTo(self.minimumSizeHint()))
        super().showEvent(event)

    def _speaker_count_row(self) -> QWidget:
        self._count_row = QWidget()
        self._count_row.setToolTip(TIPS["speaker_count"])
        layout = QHBoxLayout(self._count_row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.speaker_count, self.num_speakers, self.min_speakers, self.speakers_and,
                       self.max_speakers):
            layout.addWidget(widget)
        layout.addStretch(1)
        return self._count_row

    def _update_speakers(self) -> None:
        """Show the spin boxes of the count chosen; everything but the checkbox is off without speakers."""
        on = self.diarize.isChecked()
        mode = self.speaker_count.currentData()
        self.num_speakers.setVisible(mode == "exactly")
        for widget in (self.min_speakers, self.speakers_and, self.max_speakers):
            widget.setVisible(mode == "between")
        self.max_speakers.setMinimum(self.min_speakers.value())  # bounds stay in order
        for widget in (self._count_row, self.voiceprints, self.voiceprints_text):
            widget.setEnabled(on)

    def open_voices(self) -> None:
        """The Voices dialog over this one (modal): the voiceprints kept, with Delete."""
        from app.ui.settings.voices import VoicesDialog  # reads the history library: only when asked

        dialog = VoicesDialog(self)
        dialog.exec()
        dialog.deleteLater()

    @staticmethod
    def _section(title: str) -> QLabel:
        """A section's heading, styled by the theme (``#sectionTitle``)."""
        label = QLabel(title)
        label.setObjectName("sectionTitle")
        return label

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

    def open_models(self) -> None:
        """The Models window over this dialog (modal); a model chosen there with Use fills the model fields."""
        from app.ui.models.window import ModelsWindow  # the Models window builds on the settings store

        window = ModelsWindow(self._settings, self, profile=self._profile)
        window.exec()
        chosen = self._settings.engine_settings()
        self.whisper.setCurrentText(chosen.whisper_model or "")
        self.llm.setText(chosen.llm_model or "")
        window.deleteLater()

    def _language_code(self) -> str:
        index = self.language.currentIndex()
        text = self.language.currentText().strip()
        if index >= 0 and self.language.itemText(index) == text:
            return self.language.itemData(index) or ""
        try:  # typed: one code or several ("fr, en"), kept as the settings store them ("fr,en")
            return options.languages_text(options.parse_languages(text)) or ""
        except HearsayError:
            return text.lower()  # refused by ``validate``

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
            system_prompt=self.system_prompt.toPlainText().strip()[:SYSTEM_PROMPT_LIMIT] or None,
            temperature=round(self.temperature.value(), 2),
            code_switching=self.code_switching.isChecked(),
            translate=self.translate.isChecked(),
            vocabulary=options.vocabulary_text(options.parse_vocabulary(self.vocabulary.text())),
            diarize=self.diarize.isChecked(),
            voiceprints=self.voiceprints.isChecked(),
            **self._speaker_counts(),
        )

    def _speaker_counts(self) -> dict[str, int | None]:
        mode = self.speaker_count.currentData()
        if mode == "exactly":
            return {"num_speakers": self.num_speakers.value(), "min_speakers": None, "max_speakers": None}
        if mode == "between":
            return {"num_speakers": None, "min_speakers": self.min_speakers.value(),
                    "max_speakers": self.max_speakers.value()}
        return {"num_speakers": None, "min_speakers": None, "max_speakers": None}

    def validate(self) -> str | None:
        """A sentence naming what is wrong with the choice, or None: a language model that is not a GGUF file
        or does not exist, a Whisper model that is not on this computer, a language the chosen Whisper model
        cannot transcribe (an English-only ``.en`` model with another language), a language that is no code."""
        chosen = self.engine_settings()
        try:
            languages = options.parse_languages(chosen.language)
        except HearsayError as exc:
            return _sentence(exc.message)
        try:
            whisper = resolve_whisper(chosen.whisper_model)
        except ModelError:
            whisper = None  # not on this computer (yet): a warning (``notice``), not a refusal
        english_only = bool(whisper) and whisper_english_only(whisper)
        if english_only and len(languages) == 1 and languages[0] != "en":
            name = dict(LANGUAGES).get(languages[0], languages[0])
            return (f"The Whisper model {whisper.name} understands English only, so {name} speech would come out "
                    "as English or be skipped: choose a multilingual model (base, small, large-v3-turbo) "
                    "or English.")
        if whisper and (problem := options.model_problem(whisper.name, english_only, languages, chosen.translate,
                                                         chosen.code_switching)):
            return _sentence(problem)
        if chosen.llm_model:
            try:
                resolve_llm(chosen.llm_model)
            except ModelError as exc:
                return _sentence(exc.message.replace("the model file", "the language model file"))
        return None

    def notice(self) -> str | None:
        """A warning that does not stop the choice: the Whisper model is not on this computer yet."""
        try:
            resolve_whisper(self.engine_settings().whisper_model)
        except ModelError as exc:
            return _sentence(exc.message)
        return None

    def _revalidate(self) -> None:
        problem = self.validate()
        warning = None if problem else self.notice()
        self.error.setText(problem or warning or "")
        self.error.setStyleSheet(f"color: {'#b91c1c' if problem else '#b45309'};")
        self.error.setVisible(bool(problem or warning))
        self.ok_button.setEnabled(problem is None)

    def accept(self) -> None:
        problem = self.validate()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        self._settings.set_engine_settings(self.engine_settings())
        self._settings.set_auto_start(self.auto_start.isChecked())
        super().accept()
