"""Imports of the bundled GGUF and tiny.en folder (copied, referenced, from a Hugging Face cache layout), the
registry of installed models, removal, resolution of ids, and the access token in the keyring. No network."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from app.core.errors import ModelError
from app.core.hub import catalog, credentials, imports, installed
from app.core.hub.gguf_files import read_gguf_info

LLM = catalog.default_entry("llm")
WHISPER = catalog.default_entry("whisper")


def test_import_copies_the_bundled_gguf_and_resolves_it_by_id():
    result = imports.import_model(LLM.installed_path(), model_id="my-smollm2")
    model = result.model
    assert result.warnings == ()
    assert (model.id, model.role, model.how, model.sha256) == ("my-smollm2", "llm", "copied", LLM.sha256)
    assert model.path == installed.models_dir() / "my-smollm2" / LLM.name and model.path.is_file()
    assert model.chat_template is True and model.size_bytes == LLM.size_bytes
    assert catalog.resolve_llm("my-smollm2") == catalog.ResolvedModel(LLM.name, str(model.path), LLM.sha256)
    assert installed.find_installed("my-smollm2") == model


def test_the_bundled_gguf_cannot_be_imported_twice_under_its_catalog_id():
    with pytest.raises(ModelError, match="a model with the id smollm2-135m-instruct-q4_1 is already installed"):
        imports.import_model(LLM.installed_path())


def test_import_references_the_tiny_en_folder_and_remove_keeps_it():
    source = WHISPER.installed_path()
    model = imports.import_model(source, mode="reference", model_id="tiny-ref").model
    assert (model.how, model.role, model.path, model.sha256) == ("referenced", "whisper", source, WHISPER.sha256)
    assert model.name == "tiny-ref"  # what results record as the Whisper model
    assert sorted(p.name for p in model.folder.iterdir()) == [installed.MANIFEST]
    assert catalog.resolve_whisper("tiny-ref").path == str(source)
    removed = installed.remove("tiny-ref")
    assert removed.id == "tiny-ref" and (source / "model.bin").is_file()
    assert installed.find_installed("tiny-ref") is None and not model.folder.exists()


def test_import_of_a_faster_whisper_folder_from_the_hf_cache(tmp_path):
    cache = tmp_path / "hub" / "models--Systran--faster-whisper-tiny.en"
    snapshot = cache / "snapshots" / "a1b2c3"
    (cache / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (cache / "refs").mkdir()
    (cache / "refs" / "main").write_text("a1b2c3")
    for file in WHISPER.installed_path().iterdir():  # as huggingface_hub lays it out: links into blobs/
        blob = cache / "blobs" / hashlib.sha1(file.name.encode()).hexdigest()
        shutil.copy(file, blob)
        os.symlink(os.path.relpath(blob, snapshot), snapshot / file.name)
    model = imports.import_model(cache).model
    assert (model.id, model.name, model.how, model.sha256) == (
        "faster-whisper-tiny.en", "faster-whisper-tiny.en", "copied", WHISPER.sha256)
    copied = sorted(p.name for p in model.path.iterdir())
    assert copied == sorted(["model.bin", "config.json", "tokenizer.json", "vocabulary.txt", installed.MANIFEST])
    assert not any(p.is_symlink() for p in model.path.iterdir())
    assert catalog.resolve_whisper("faster-whisper-tiny.en").sha256 == WHISPER.sha256


def test_a_gguf_without_a_chat_template_is_imported_with_a_warning(tmp_path):
    import gguf

    path = tmp_path / "base-model.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(2048)
    writer.add_tensor("dummy", __import__("numpy").zeros(4, dtype="float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    info = read_gguf_info(path)
    assert (info.architecture, info.context_length, info.chat_template) == ("llama", 2048, None)
    result = imports.import_model(path, mode="reference")
    assert result.model.id == "base-model" and result.model.chat_template is False
    assert result.warnings == ("base-model.gguf has no chat template in its metadata, so its answers are formatted "
                               "by llama.cpp's fallback and may be poor; prefer an instruct model",)


def test_bad_imports_say_why(tmp_path):
    (tmp_path / "notes.gguf").write_text("not a model at all")
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(LLM.installed_path().read_bytes()[:100])
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    cases = {
        tmp_path / "notes.gguf": f"{tmp_path}/notes.gguf is neither a GGUF model file nor a CTranslate2 Whisper folder",
        empty: f"{empty} is not a CTranslate2 Whisper model folder (it has no model.bin and no config.json)",
        tmp_path / "missing.gguf": f"cannot import {tmp_path}/missing.gguf: no such file or folder",
    }
    for path, message in cases.items():
        with pytest.raises(ModelError) as caught:
            imports.import_model(path)
        assert caught.value.message == message
    with pytest.raises(ModelError, match=f"{truncated} has a damaged GGUF header"):
        imports.import_model(truncated)
    with pytest.raises(ModelError, match="'../up' cannot be a model id"):
        imports.import_model(LLM.installed_path(), model_id="../up")
    assert [m.how for m in installed.installed_models()] == ["bundled"] * len(installed.bundled_models())
    assert list((installed.models_dir() / installed.PARTIAL_FOLDER).glob("*")) == []


def test_registry_lists_bundled_and_installed_and_refuses_to_remove_bundled():
    imports.import_model(LLM.installed_path(), model_id="copy-a")
    listed = [(m.id, m.how) for m in installed.installed_models()]
    bundled = [m.id for m in installed.bundled_models()]  # the defaults, and Whisper base once `make setup` made it
    assert {WHISPER.id, LLM.id} <= set(bundled)
    assert listed == [*((model_id, "bundled") for model_id in bundled), ("copy-a", "copied")]
    for model_id in bundled:
        with pytest.raises(ModelError) as caught:
            installed.remove(model_id)
        assert caught.value.message == (f"{model_id} is bundled with Hearsay (installed by `make setup`) and cannot "
                                        f"be removed")
    with pytest.raises(ModelError, match="no installed model has the id 'nothing'"):
        installed.remove("nothing")
    assert installed.remove("copy-a").how == "copied"
    assert [m.id for m in installed.installed_models()] == bundled


def test_a_catalog_model_that_make_setup_put_in_a_models_folder_is_bundled(tmp_path, monkeypatch):
    folder = tmp_path / "models" / "whisper-base"
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"weights")
    monkeypatch.setattr(catalog, "model_folders", lambda: [tmp_path / "models"])
    base = catalog.find_entry("whisper-base")
    assert base.installed_path() == folder
    assert installed.find_installed("whisper-base").how == "bundled" and installed.state(base) == "bundled"
    assert catalog.resolve_whisper("whisper-base") == catalog.ResolvedModel("base", str(folder), base.sha256)
    (folder / installed.MANIFEST).write_text("{}")  # a download or import of Hearsay's is not bundled
    assert base.installed_path() is None


def test_a_referenced_model_that_moved_says_so(tmp_path):
    moved = tmp_path / "mine.gguf"
    shutil.copy(LLM.installed_path(), moved)
    imports.import_model(moved, mode="reference")
    moved.unlink()
    model = installed.find_installed("mine")
    assert model.problem == (f"the referenced file {moved} of mine no longer exists; remove it with "
                             f"`hearsay models remove mine` and import it again")
    with pytest.raises(ModelError, match="no longer exists"):
        catalog.resolve_llm("mine")


def test_catalog_ids_resolve_and_missing_ones_say_how_to_get_them():
    assert catalog.resolve_whisper("whisper-tiny.en").path == str(WHISPER.installed_path())
    assert catalog.resolve_llm(LLM.id).path == str(LLM.installed_path())
    with pytest.raises(ModelError) as caught:
        catalog.resolve_llm("qwen2.5-3b-instruct-q4_k_m")
    assert caught.value.message == (
        "the language model qwen2.5-3b-instruct-q4_k_m is not on this machine and Hearsay works offline; download "
        "it once (2.0 GiB) with `hearsay models download qwen2.5-3b-instruct-q4_k_m` or in the Models window")
    with pytest.raises(ModelError, match="download it once .* `hearsay models download qwen2.5-7b-instruct-q4_k_m`"):
        catalog.resolve_llm("Qwen2.5-7B-Instruct-Q4_K_M.gguf")  # the catalog's file name
    with pytest.raises(ModelError, match="`hearsay models download whisper-small`"):
        catalog.resolve_whisper("whisper-small")


def test_a_partial_download_is_mentioned_and_never_resolved():
    entry = catalog.find_entry("qwen2.5-1.5b-instruct-q4_k_m")
    staging = installed.partial_dir(entry.id)
    staging.mkdir(parents=True)
    (staging / entry.name).write_bytes(b"GGUF" + b"\0" * 1000)
    assert installed.state(entry) == "partial" and installed.partial_bytes(entry.id) == 1004
    with pytest.raises(ModelError, match=r"download qwen2.5-1.5b-instruct-q4_k_m` \(it resumes the partial download\)"):
        catalog.resolve_llm(entry.id)
    assert entry.id not in [m.id for m in installed.installed_models()]


class MemoryKeyring:
    """A keyring backend in memory (keyring's documented plug-in interface), standing in for the OS keyring."""

    def __new__(cls):
        from keyring.backend import KeyringBackend

        class Backend(KeyringBackend):
            priority = 1

            def __init__(self):
                super().__init__()
                self.store = {}

            def get_password(self, service, username):
                return self.store.get((service, username))

            def set_password(self, service, username, password):
                self.store[(service, username)] = password

            def delete_password(self, service, username):
                from keyring.errors import PasswordDeleteError

                if (service, username) not in self.store:
                    raise PasswordDeleteError("none")
                del self.store[(service, username)]

        return Backend()


@pytest.fixture
def memory_keyring():
    import keyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_the_token_lives_in_the_keyring(memory_keyring, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert credentials.get_token() is None
    credentials.set_token("hf_abc")
    assert memory_keyring.store == {("Hearsay", "huggingface-hub-token"): "hf_abc"}
    assert credentials.get_token() == "hf_abc"
    credentials.clear_token()
    credentials.clear_token()  # nothing to clear is fine
    assert credentials.get_token() is None and memory_keyring.store == {}


def test_without_a_keyring_the_token_comes_from_the_environment(monkeypatch):
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        monkeypatch.setenv("HF_TOKEN", "hf_env")
        assert not credentials.keyring_available() and credentials.get_token() == "hf_env"
        with pytest.raises(credentials.CredentialsError) as caught:
            credentials.set_token("hf_abc")
        assert caught.value.message == ("no OS keyring is available here, so Hearsay does not store the access "
                                        "token; set the HF_TOKEN environment variable instead")
    finally:
        keyring.set_keyring(before)


def test_names_resolve_to_what_is_on_this_machine(hub_catalog, monkeypatch):
    from dataclasses import replace

    # the bundled default by its file name and its id
    assert catalog.resolve_llm(LLM.name) == catalog.ResolvedModel(LLM.name, str(LLM.installed_path()), LLM.sha256)
    assert catalog.resolve_llm(LLM.id).path == str(LLM.installed_path())
    # a size name whose model was installed (here: a second "small" entry, imported under its id) wins over the
    # catalog's "small" that is not on disk
    small = replace(hub_catalog["whisper"], id="test-small", name="small")
    real = catalog.catalog
    monkeypatch.setattr(catalog, "catalog", lambda: [*real(), small])
    imports.import_model(WHISPER.installed_path(), model_id="test-small")
    assert catalog.resolve_whisper("small").path == str(installed.models_dir() / "test-small")
    assert catalog.resolve_whisper("small").sha256 == WHISPER.sha256
