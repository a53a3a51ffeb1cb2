"""Which language a visitor reads the board in: `?lang=`, else the browser's Accept-Language."""

from __future__ import annotations

from commands.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language


def language_from_header(header: str) -> str:
    """The best of our languages in an Accept-Language header; French when none fits."""
    best, best_weight = DEFAULT_LANGUAGE, 0.0
    for item in header.split(","):
        tag, _, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and weight > best_weight:
            best, best_weight = code, weight
    return best


def requested_language(asked: str | None, accept_language: str) -> str:
    """`?lang=` first (`asked`), then the browser's Accept-Language header."""
    if asked:
        return normalise_language(asked)
    return language_from_header(accept_language)
