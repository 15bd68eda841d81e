"""Prompts over a transcript with a local GGUF model through llama-cpp-python.

The prompts of a file share one prefix (system text + transcript, see
``app.core.llm.assembly``). ``LlamaPromptRunner`` evaluates that prefix once,
in slices so a cancel lands within about a second, keeps it in the KV cache
for the next prompt, and stores it on disk (``app.core.llm.kv_states``) so a
follow-up after other files, or after a restart, restores it instead of
prefilling again. Only each prompt's own tokens are evaluated after that.

Thread-safety: one ``LlamaPromptRunner`` (and its ``Llama``) is used by one
thread at a time; llama-cpp-python crashes on concurrent calls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.core import hardware
from app.core.errors import ContextOverflowError, ModelError
from app.core.hub import catalog, checksums
from app.core.llm.assembly import (
    DEFAULT_TEMPERATURE,
    SYSTEM_TEXT,
    build_messages,
    control_text_pattern,
    neutralize,
    plain_prompt,
    uses_transcript_tag,
)
from app.core.llm.kv_states import PrefixStateCache
from app.core.llm.llama_logs import route_llama_logs
from app.core.user_files import display_path, is_valid_text

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_CAP = 16384
"""Context window (tokens) allocated up front at most; grown up to the limit when a transcript needs it."""
MIN_ANSWER_TOKENS = 16
PREFILL_SLICE = 256
"""Tokens evaluated between cancel checks during a prefill (about 1 s at 250 tokens/s on 2 cores)."""
_SENTINEL = "\u2063HEARSAY-PROMPT\u2063"


@dataclass(frozen=True)
class AssembledPrompt:
    """A prompt ready for llama.cpp: ``tokens`` (ids), of which the first ``prefix_len`` are the
    shared prefix (system text + transcript; 0 when the prompt uses ``{{ transcript }}``), and the
    chat template's ``stop`` strings."""

    tokens: list[int]
    prefix_len: int
    stop: list[str]


@dataclass(frozen=True)
class PrefillStats:
    """How the last prompt's tokens were obtained: ``prompt_tokens`` in all, ``reused_tokens`` taken
    from the KV cache or a stored state without evaluation, and ``source`` of the prefix: "warm"
    (still in the KV cache), "disk" (restored state), "cold" (evaluated now) or "none" (no shared prefix)."""

    prompt_tokens: int
    reused_tokens: int
    source: str


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


NOT_GGUF = "it is not a valid GGUF model or it is truncated"


def is_demo_model(sha256: str) -> bool:
    """True when a GGUF file with this (verified) ``sha256`` is a catalog entry marked ``demo`` (the bundled
    demo model); "" (a file the catalog does not pin) is never the demo model."""
    return bool(sha256) and any(e.demo and e.role == "llm" and e.sha256 == sha256 for e in catalog.catalog())


class LlamaPromptRunner:
    """One ``llama_cpp.Llama`` kept alive across prompts and files (the ``PromptRunner`` interface).

    ``model``: path or file name of a ``.gguf`` (None = bundled default).
    ``max_tokens``: response cap in tokens. ``context_window``: the most tokens
    the context may hold (None = the model's trained context).
    ``state_cache``: where prefix states are kept between files and runs (None:
    only the live KV cache is reused). ``chat_template``: a Jinja chat template
    used instead of the model's own ("" renders a plain prompt, None keeps the
    model's).

    Generation settings (fal's ``system_prompt`` and ``temperature``), read at each ``stream`` call, so
    they may change between jobs without reloading the model:

    - ``system_prompt``: the instructions that open the system message, in place of the built-in
      ``SYSTEM_TEXT`` (None or "" keeps it). The transcript follows them in the same system message
      and the prompt comes after, in the user message, so every prompt of a file still starts with
      the same tokens (instructions + transcript) and shares the prefill. Because the instructions
      are part of that prefix, a changed system prompt changes the prefix tokens: the live KV cache
      keeps only the tokens before the first difference, and a stored state (keyed by the prefix
      tokens) is never restored for another system prompt.
    - ``temperature``: sampling temperature (0 = greedy). It acts only on sampling after the prompt;
      the KV state of a prefix is the same at every temperature, so it is reused across them.
      Each answer is sampled with ``seed`` afresh (``create_completion(seed=...)``), and the prompt's
      own tokens are always evaluated as one batch after the prefix (the live KV cache is cut back to
      the prefix first), so an answer depends on its prompt tokens, the temperature and the seed only,
      never on which prompts ran before it or on whether its prefix was warm, restored from disk or
      prefilled: a cache makes Hearsay faster, never different. (A prompt with ``{{ transcript }}`` has
      no shared prefix; asked twice in a row, llama-cpp-python's own prefix match applies to it.)
    """

    def __init__(self, model: str | None = None, device: str = "auto", max_tokens: int = 512,
                 n_threads: int | None = None, context_window: int | None = None,
                 state_cache: PrefixStateCache | None = None,
                 temperature: float = DEFAULT_TEMPERATURE, repeat_penalty: float = 1.1, seed: int = 7,
                 chat_template: str | None = None, system_prompt: str | None = None) -> None:
        self.requested_model = model
        self.requested_device = device
        self.max_tokens = max_tokens
        self.n_threads = n_threads or hardware.physical_cores()
        self.context_window = context_window
        self.state_cache = state_cache
        self.temperature = temperature
        self.repeat_penalty = repeat_penalty  # 1.1, llama.cpp's classic default: small models loop without it
        self.seed = seed
        self.chat_template = chat_template
        self.system_prompt = system_prompt
        self.demo = False
        """True once the loaded model is the catalog's demo model (``CatalogEntry.demo``)."""
        self.model_name = Path(model).name if model else catalog.default_entry("llm").name
        self.device = "not loaded"
        self.n_ctx_train = 0
        self.last_stats: PrefillStats | None = None
        self.last_finish_reason: str | None = None
        self._llm = None
        self._load_lock = threading.Lock()
        self._path = ""
        self._identity = ""
        self._formatter = None
        self._control_texts = None
        self._session_start = datetime.now()

    @property
    def n_ctx(self) -> int:
        """The allocated context window in tokens (0 before load)."""
        return self._llm.n_ctx() if self._llm is not None else 0

    def context_limit(self) -> int:
        """The most tokens one prompt plus its answer may take: the trained context, or less when
        ``context_window`` says so. Loads the model."""
        self.load()
        return self._limit()

    def _limit(self) -> int:
        limit = self.n_ctx_train or DEFAULT_CONTEXT_CAP
        return min(limit, self.context_window) if self.context_window else limit

    def load(self) -> float:
        """Load the model once (idempotent); return seconds spent. Raises ModelError.

        Thread-safe: a second caller waits for a load in progress (a cancelled
        wait leaves one finishing in the background) and then returns 0.0.
        """
        with self._load_lock:
            return self._load()

    def _load(self) -> float:
        if self._llm is not None:
            return 0.0
        started = time.perf_counter()
        resolved = catalog.resolve_llm(self.requested_model)
        if not is_valid_text(resolved.path):  # llama-cpp-python encodes the path as UTF-8, strictly
            raise ModelError(f"cannot load {display_path(resolved.path)}: llama.cpp opens only paths that are "
                             "UTF-8 text; rename the file or the folder it is in")
        self.model_name, self._path = resolved.name, resolved.path
        if resolved.sha256:
            checksums.verify_checksum(resolved.path, resolved.sha256)
        self.demo = is_demo_model(resolved.sha256)
        self.n_ctx_train = self._read_trained_context()
        self._open(min(self._limit(), DEFAULT_CONTEXT_CAP))
        return time.perf_counter() - started

    def _read_trained_context(self) -> int:
        from llama_cpp import Llama

        route_llama_logs()
        try:
            vocab = Llama(self._path, vocab_only=True, verbose=False)
        except Exception:
            raise ModelError(f"cannot load {display_path(self._path)}: {NOT_GGUF}") from None
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
            raise ModelError(f"cannot load {display_path(self._path)}: {NOT_GGUF}") from None
        self._control_texts = control_text_pattern(self._control_token_texts())
        stat = Path(self._path).stat()
        self._identity = f"{Path(self._path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{gpu_layers}"
        template = self._llm.metadata.get("tokenizer.chat_template") if self.chat_template is None \
            else self.chat_template
        self._formatter = None
        if template:
            detok = self._llm._model.token_get_text
            eos, bos = self._llm.token_eos(), self._llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=detok(eos) if eos != -1 else "",
                bos_token=detok(bos) if bos != -1 else "",
            )
            # Templates that print today's date would otherwise break the shared prefix at midnight.
            self._formatter.strftime_now = self._session_start.strftime

    def _control_token_texts(self) -> list[str]:
        """Texts of the vocabulary's control (and unknown) tokens: what ``special=True`` tokenization turns
        into role markers and ends of turn. One pass over the vocabulary at load (about 20 ms for 49k tokens)."""
        import llama_cpp

        model = self._llm._model
        control = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN
        return [model.token_get_text(token) for token in range(model.n_vocab())
                if model.token_get_attr(token) & control]

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone (no special tokens). Loads the model."""
        self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    @property
    def system_text(self) -> str:
        """The instructions that open the system message: ``system_prompt``, or the built-in ``SYSTEM_TEXT``."""
        return self.system_prompt.strip() if self.system_prompt and self.system_prompt.strip() else SYSTEM_TEXT

    def assemble(self, transcript: str, prompt: str, system_text: str | None = None) -> AssembledPrompt:
        """Render and tokenize ``prompt`` over ``transcript`` with the model's chat template. Loads the model.

        ``system_text``: the instructions (None: ``self.system_text``; the reduce step of map-reduce
        passes its own).

        ``transcript`` and ``prompt`` are data: control-token texts inside them are neutralized
        (``app.core.llm.assembly.neutralize``) before the template renders them.
        """
        self.load()
        system_text = self.system_text if system_text is None else system_text
        transcript, prompt = neutralize(transcript, self._control_texts), neutralize(prompt, self._control_texts)
        text, stop, add_bos = self._render(build_messages(transcript, prompt, system_text))
        tokens = self._tokenize(text, add_bos)
        prefix_len = 0
        if not uses_transcript_tag(prompt):
            probe, _, _ = self._render(build_messages(transcript, _SENTINEL, system_text))
            prefix = self._tokenize(probe[: probe.index(_SENTINEL)], add_bos)
            while prefix_len < min(len(prefix), len(tokens)) and prefix[prefix_len] == tokens[prefix_len]:
                prefix_len += 1
        return AssembledPrompt(tokens, prefix_len, stop)

    def fixed_tokens(self, prompt: str, system_text: str | None = None) -> int:
        """Tokens ``prompt`` takes around an empty transcript (template, system text, prompt); ``system_text``
        as in ``assemble``."""
        return len(self.assemble("", prompt, system_text).tokens)

    def _render(self, messages: list[dict[str, str]]) -> tuple[str, list[str], bool]:
        if self._formatter is None:
            return plain_prompt(messages), [], True
        formatted = self._formatter(messages=messages)
        return formatted.prompt, [s for s in formatted.stop if s], not formatted.added_special

    def _tokenize(self, text: str, add_bos: bool) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def stream(self, transcript: str, prompt: str, cancel: threading.Event,
               system_text: str | None = None) -> Iterator[str]:
        """Yield the response to ``prompt`` over ``transcript`` piece by piece (about one token each).

        ``system_text``: the instructions (None: ``self.system_text``, the user's system prompt or the
        built-in one). Sampled at ``temperature`` with ``seed`` (see the class).

        Raises ContextOverflowError when the prompt leaves fewer than
        ``MIN_ANSWER_TOKENS`` of the context limit. Stops early once ``cancel``
        is set (checked every ``PREFILL_SLICE`` prefill tokens and every token).
        ``last_stats`` says afterwards how much of the prompt was reused, and
        ``last_finish_reason`` why the answer ended ("stop", or "length" at the
        answer limit; None when cancelled).
        """
        self.last_finish_reason = None
        self.last_stats = None  # not the previous call's when this one fails before its prefill
        assembled = self.assemble(transcript, prompt, system_text)
        room = self._make_room(len(assembled.tokens))
        self._prefill_prefix(assembled, cancel)
        if cancel.is_set():
            return
        chunks = self._llm.create_completion(
            assembled.tokens, max_tokens=min(self.max_tokens, room), temperature=self.temperature,
            repeat_penalty=self.repeat_penalty, stop=assembled.stop, stream=True, seed=self.seed,
        )
        try:
            for chunk in chunks:
                if cancel.is_set():
                    return
                choice = chunk["choices"][0]
                if choice.get("finish_reason"):
                    self.last_finish_reason = choice["finish_reason"]
                text = choice["text"]
                if text:
                    yield text
        finally:
            chunks.close()

    def _make_room(self, prompt_tokens: int) -> int:
        """Grow the context if the prompt and its answer need it; return the tokens left for the answer."""
        limit = self.context_limit()
        needed = prompt_tokens + self.max_tokens
        if needed > self.n_ctx and self.n_ctx < limit:
            grow_to = min(limit, -(-needed // 4096) * 4096)
            log.info("growing the context window from %d to %d tokens", self.n_ctx, grow_to)
            self._open(grow_to)
        room = self.n_ctx - prompt_tokens
        if room < MIN_ANSWER_TOKENS:
            raise ContextOverflowError(prompt_tokens + MIN_ANSWER_TOKENS, self.n_ctx)
        return room

    def _prefill_prefix(self, assembled: AssembledPrompt, cancel: threading.Event) -> None:
        """Bring the shared prefix into the KV cache: keep it, restore it from disk, or evaluate it."""
        llm, prefix = self._llm, assembled.tokens[: assembled.prefix_len]
        live = llm.input_ids[: llm.n_tokens].tolist()
        common = 0
        while common < min(len(live), len(prefix)) and live[common] == prefix[common]:
            common += 1
        source = "none" if not prefix else "warm"
        key = self.state_cache.key(self._identity, prefix) if self.state_cache and prefix else ""
        if prefix and common < len(prefix):
            if key and self.state_cache.restore(llm, key, prefix):
                source = "disk"
            else:
                source = "cold"
                llm.n_tokens = common  # eval() drops the KV cells from n_tokens on
                for start in range(common, len(prefix), PREFILL_SLICE):
                    if cancel.is_set():
                        break
                    llm.eval(prefix[start:start + PREFILL_SLICE])
                if key and not cancel.is_set():
                    size = self.state_cache.store(llm, key, prefix)
                    log.info("kept the KV state of %d prefix tokens (%d bytes)", len(prefix), size)
        if prefix and llm.n_tokens > len(prefix) and not cancel.is_set():
            # Keep only the prefix: the prompt's own tokens are then evaluated as one batch after it, as on a cold
            # run. Left in place (the same prompt asked again), llama-cpp-python would evaluate only its last token
            # again, and a one-token batch rounds the logits differently: measured here, every answer sampled at
            # temperature 0.2 or 0.7 changed (docs/generation.md). A few prompt tokens again buy the same answer.
            llm.n_tokens = len(prefix)
        reused = len(prefix) if source in ("warm", "disk") else common
        self.last_stats = PrefillStats(len(assembled.tokens), reused, source)

    def close(self) -> None:
        """Free the model's memory."""
        if self._llm is not None:
            self._llm.close()
            self._llm = None
