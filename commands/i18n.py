"""The message catalogue: every sentence a person reads, in French first, then English."""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Formatter
from typing import Any

import yaml

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("commands").joinpath("data/messages.yaml").read_text("utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return data


def normalise_language(language: str | None) -> str:
    code = (language or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, language: str, /, **params: Any) -> str:
    """The sentence `key` in `language` (French when missing), with `params` filled in."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"message {key!r} is not in the catalogue")
    template = entry.get(normalise_language(language)) or entry[DEFAULT_LANGUAGE]
    return template.format(**params).strip("\n") if params else template.strip("\n")


def placeholders(key: str) -> dict[str, set[str]]:
    """The `{names}` each language's sentence expects (for the catalogue's own tests)."""
    return {
        language: {name for _, name, _, _ in Formatter().parse(text) if name}
        for language, text in catalogue()[key].items()
    }


class Translator:
    """`t(key, **params)` bound to one language."""

    def __init__(self, language: str) -> None:
        self.language = normalise_language(language)

    def __call__(self, key: str, /, **params: Any) -> str:
        return translate(key, self.language, **params)
