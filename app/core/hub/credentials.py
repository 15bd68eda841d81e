"""The hub access token (for gated or private repos): kept in the OS keyring through ``keyring`` where one is
available, else nowhere (then it is given per call or by the ``HF_TOKEN`` environment variable).

The token is never written to Hearsay's settings (INI) file, its logs or its error messages.
"""

from __future__ import annotations

import logging
import os

from app.core.errors import HearsayError

SERVICE = "Hearsay"
"""The keyring service name the token is stored under."""
USERNAME = "huggingface-hub-token"
"""The keyring user name the token is stored under."""

log = logging.getLogger("hearsay.hub")


class CredentialsError(HearsayError):
    """The token cannot be stored or removed (no OS keyring here, or the keyring refused)."""


def _keyring():
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # keyring is a dependency, but a trimmed install may lack it
        return None, Exception
    return keyring, KeyringError


def keyring_available() -> bool:
    """True when an OS keyring backend is usable here (not keyring's "fail" or null backends)."""
    keyring, _ = _keyring()
    if keyring is None:
        return False
    try:
        return keyring.get_keyring().priority > 0
    except Exception:  # a backend that fails on inspection is no backend
        return False


def get_token() -> str | None:
    """The stored token from the OS keyring, else ``HF_TOKEN`` from the environment, else None.
    Never raises: a keyring that fails reads as no token (the failure's type goes to the log, never the
    token)."""
    keyring, keyring_error = _keyring()
    if keyring is not None and keyring_available():
        try:
            token = keyring.get_password(SERVICE, USERNAME)
            if token:
                return token
        except (keyring_error, RuntimeError, OSError) as exc:
            log.warning("cannot read the hub token from the keyring (%s)", type(exc).__name__)
    return os.environ.get("HF_TOKEN") or None


def set_token(token: str) -> None:
    """Store ``token`` in the OS keyring (replacing any stored one). Raises CredentialsError when no keyring
    is available or it refuses (the message says to use ``HF_TOKEN`` instead); an empty token clears it."""
    if not token:
        clear_token()
        return
    keyring, keyring_error = _keyring()
    if keyring is None or not keyring_available():
        raise CredentialsError("no OS keyring is available here, so Hearsay does not store the access token; "
                               "set the HF_TOKEN environment variable instead")
    try:
        keyring.set_password(SERVICE, USERNAME, token)
    except (keyring_error, RuntimeError, OSError) as exc:
        raise CredentialsError(f"the OS keyring refused to store the access token ({type(exc).__name__}); "
                               "set the HF_TOKEN environment variable instead") from None


def clear_token() -> None:
    """Remove the stored token from the OS keyring (nothing to remove is fine). Raises CredentialsError when
    the keyring refuses."""
    keyring, keyring_error = _keyring()
    if keyring is None or not keyring_available():
        return
    try:
        keyring.delete_password(SERVICE, USERNAME)
    except keyring.errors.PasswordDeleteError:
        pass
    except (keyring_error, RuntimeError, OSError) as exc:
        raise CredentialsError(f"the OS keyring refused to remove the access token ({type(exc).__name__})") from None
