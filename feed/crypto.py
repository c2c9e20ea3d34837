"""Channel secrets encrypted at rest (Fernet) and feed tokens stored as hashes."""

import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

TOKEN_BYTES = 24


class SecretBox:
    """Encrypts with the first key, decrypts with any, so keys can be rotated."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("FEED_SECRET_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError as exc:
            raise ValueError(
                "FEED_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes), "
                "e.g. from `feed keygen`"
            ) from exc

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("secret cannot be decrypted with FEED_SECRET_KEY") from None


def generate_key() -> str:
    return Fernet.generate_key().decode()


def new_feed_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Lookups go by hash, so comparing tokens leaks nothing about the stored one."""
    return hashlib.sha256(token.encode()).hexdigest()
