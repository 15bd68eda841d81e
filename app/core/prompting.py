"""Prompts over a transcript with a local GGUF model through llama-cpp-python.

Prompt assembly puts the transcript first (in the system message) and the
prompt after it, so every prompt of a file shares one byte-identical prefix and
llama.cpp reuses its KV cache instead of prefilling the transcript again (see
DESIGN.md: 13 s vs 64 s for six prompts over 3,000 tokens). A prompt holding
AssemblyAI's ``{{ transcript }}`` tag gets the transcript there instead and
forgoes that reuse.

Thread-safety: one ``LlamaPromptRunner`` (and its ``Llama``) is used by one
thread at a time; llama-cpp-python crashes on concurrent calls.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from app.core import hardware, models
from app.core.errors import ContextOverflowError, ModelError

log = logging.getLogger(__name__)

SYSTEM_TEXT = (
    "You are Hearsay, a careful assistant. Answer the user's request about the recording "
    "using only the transcript below. If the transcript does not say, answer that it does not say."
)
TRANSCRIPT_TAG = re.compile(r"\{\{\s*transcript\s*\}\}")
DEFAULT_CONTEXT_CAP = 16384
"""Largest context window (tokens) allocated up front; grown up to the model's trained context when a transcript needs it."""
MIN_ANSWER_TOKENS = 16
_llama_log = logging.getLogger("hearsay.llama_cpp")
_log_callback = None


def _route_llama_logs() -> None:
    """Send llama.cpp's own messages to Hearsay's log file instead of the user's terminal."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes

    import llama_cpp
    import llama_cpp._logger  # noqa: F401  (installs its callback first; ours replaces it)

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        _llama_log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def build_messages(transcript: str, prompt: str) -> list[dict[str, str]]:
    """Chat messages for ``prompt`` over ``transcript``: [system, user].

    Without the tag: the system message is ``SYSTEM_TEXT`` + the transcript (a
    prefix shared by all prompts of a file), the user message is the prompt.
    With ``{{ transcript }}`` in the prompt: the transcript replaces the tag in
    the user message and the system message is ``SYSTEM_TEXT`` alone.
    """
    if TRANSCRIPT_TAG.search(prompt):
        return [
            {"role": "system", "content": SYSTEM_TEXT},
            {"role": "user", "content": TRANSCRIPT_TAG.sub(lambda _: transcript, prompt)},
        ]
    return [
        {"role": "system", "content": f"{SYSTEM_TEXT}\n\nTranscript:\n{transcript}"},
        {"role": "user", "content": prompt},
    ]


def plain_prompt(messages: list[dict[str, str]]) -> str:
    """A template-free rendering for models without a chat template (base models)."""
    system, user = messages[0]["content"], messages[1]["content"]
    return f"{system}\n\nRequest: {user}\n\nAnswer:"


def choose_gpu_layers(requested: str, offload_supported: bool) -> tuple[int, str]:
    """``n_gpu_layers`` and a device label for llama.cpp.

    ``requested``: "auto", "cpu" or "cuda". Offload (all layers, -1) happens when
    the build supports it (CUDA or Metal) and the user did not ask for the CPU.
    """
    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {requested!r}")
    if requested == "cpu" or not offload_supported:
        note = "; this llama.cpp build has no GPU offload" if requested == "cuda" else ""
        return 0, "cpu" + note
    return -1, "gpu"


class LlamaPromptRunner:
    """One ``llama_cpp.Llama`` kept alive across prompts and files (the ``PromptRunner`` interface).

    ``model``: path or file name of a ``.gguf`` (None = bundled default).
    ``max_tokens``: response cap in tokens. ``n_ctx_cap``: context window
    allocated at load (tokens), at most the model's trained context.
    """

    def __init__(self, model: str | None = None, device: str = "auto", max_tokens: int = 512,
                 n_threads: int | None = None, n_ctx_cap: int = DEFAULT_CONTEXT_CAP,
                 temperature: float = 0.2, repeat_penalty: float = 1.1, seed: int = 7) -> None:
        self.requested_model = model
        self.requested_device = device
        self.max_tokens = max_tokens
        self.n_threads = n_threads or hardware.physical_cores()
        self.n_ctx_cap = n_ctx_cap
        self.temperature = temperature
        self.repeat_penalty = repeat_penalty  # 1.1, llama.cpp's classic default: small models loop without it
        self.seed = seed
        self.model_name = Path(model).name if model else models.default_entry("llm").name
        self.device = "not loaded"
        self.n_ctx_train = 0
        self._llm = None
        self._path = ""
        self._formatter = None

    @property
    def n_ctx(self) -> int:
        """The allocated context window in tokens (0 before load)."""
        return self._llm.n_ctx() if self._llm is not None else 0

    def load(self) -> float:
        """Load the model once (idempotent); return seconds spent. Raises ModelError."""
        if self._llm is not None:
            return 0.0
        started = time.perf_counter()
        resolved = models.resolve_llm(self.requested_model)
        self.model_name, self._path = resolved.name, resolved.path
        if resolved.sha256:
            models.verify_checksum(resolved.path, resolved.sha256)
        self.n_ctx_train = self._read_trained_context()
        self._open(min(self.n_ctx_train or self.n_ctx_cap, self.n_ctx_cap))
        return time.perf_counter() - started

    def _read_trained_context(self) -> int:
        from llama_cpp import Llama

        _route_llama_logs()
        try:
            vocab = Llama(self._path, vocab_only=True, verbose=False)
        except Exception:
            raise ModelError(f"cannot load {self._path}: it is not a valid GGUF model or it is truncated") from None
        arch = vocab.metadata.get("general.architecture", "")
        trained = int(vocab.metadata.get(f"{arch}.context_length", 0) or 0)
        vocab.close()
        return trained

    def _open(self, n_ctx: int) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        gpu_layers, self.device = choose_gpu_layers(self.requested_device, hardware.llama_gpu_offload())
        if self._llm is not None:
            self._llm.close()
            self._llm = None
        try:
            self._llm = Llama(
                self._path, n_ctx=n_ctx, n_gpu_layers=gpu_layers, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, seed=self.seed, verbose=False,
            )
        except Exception:
            raise ModelError(f"cannot load {self._path}: it is not a valid GGUF model or it is truncated") from None
        template = self._llm.metadata.get("tokenizer.chat_template")
        self._formatter = None
        if template:
            detok = self._llm._model.token_get_text
            eos, bos = self._llm.token_eos(), self._llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=detok(eos) if eos != -1 else "",
                bos_token=detok(bos) if bos != -1 else "",
            )

    def prompt_tokens(self, transcript: str, prompt: str) -> tuple[list[int], list[str]]:
        """Tokens of the assembled chat prompt, and its stop strings. Loads the model if needed."""
        self.load()
        messages = build_messages(transcript, prompt)
        if self._formatter is not None:
            formatted = self._formatter(messages=messages)
            text, stop, add_bos = formatted.prompt, list(formatted.stop), not formatted.added_special
        else:
            text, stop, add_bos = plain_prompt(messages), [], True
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        return tokens, [s for s in stop if s]

    def stream(self, transcript: str, prompt: str, cancel: threading.Event) -> Iterator[str]:
        """Yield the response to ``prompt`` over ``transcript`` piece by piece (about one token each).

        Raises ContextOverflowError when the prompt leaves fewer than
        ``MIN_ANSWER_TOKENS`` of the context window (after growing it up to the
        model's trained context). Stops early once ``cancel`` is set.
        """
        tokens, stop = self.prompt_tokens(transcript, prompt)
        needed = len(tokens) + self.max_tokens
        if needed > self.n_ctx and self.n_ctx < self.n_ctx_train:
            grow_to = min(self.n_ctx_train, -(-needed // 4096) * 4096)
            log.info("growing the context window from %d to %d tokens", self.n_ctx, grow_to)
            self._open(grow_to)
        room = self.n_ctx - len(tokens)
        if room < MIN_ANSWER_TOKENS:
            raise ContextOverflowError(len(tokens) + MIN_ANSWER_TOKENS, self.n_ctx)
        chunks = self._llm.create_completion(
            tokens, max_tokens=min(self.max_tokens, room), temperature=self.temperature,
            repeat_penalty=self.repeat_penalty,
            stop=stop, stream=True,
        )
        try:
            for chunk in chunks:
                if cancel.is_set():
                    return
                text = chunk["choices"][0]["text"]
                if text:
                    yield text
        finally:
            chunks.close()

    def close(self) -> None:
        """Free the model's memory."""
        if self._llm is not None:
            self._llm.close()
            self._llm = None
