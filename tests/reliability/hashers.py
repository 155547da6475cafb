"""A password hasher that counts its work, to compare login paths without timing them."""

from __future__ import annotations

from django.contrib.auth.hashers import MD5PasswordHasher

CALLS = {"n": 0}


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"

    def encode(self, password: str, salt: str) -> str:
        CALLS["n"] += 1
        return super().encode(password, salt).replace("md5$", "counting_md5$", 1)

    def verify(self, password: str, encoded: str) -> bool:
        _algorithm, salt, _hash = encoded.split("$", 2)
        return self.encode(password, salt) == encoded

    def decode(self, encoded: str) -> dict:
        algorithm, salt, hash_ = encoded.split("$", 2)
        return {"algorithm": algorithm, "hash": hash_, "salt": salt}
