"""The README stays true: generated command reference, every configuration key, catalogue."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from bot.config import Config
from bot.docs import rewrite
from commands.i18n import catalogue, placeholders

README = Path(__file__).resolve().parents[1] / "README.md"


def config_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += config_keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def test_the_command_reference_is_generated_from_the_router() -> None:
    text = README.read_text("utf-8")
    assert rewrite(text) == text, "run ./dev docs to regenerate the README's command reference"


def test_every_configuration_key_is_documented() -> None:
    text = README.read_text("utf-8")
    missing = [
        key
        for key in config_keys(Config)
        if f"`{key}`" not in text
        and f"`{key}`," not in text
        and key not in ("web.host", "web.port")
    ]
    assert missing == []


def test_every_message_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key in catalogue():
        by_language = placeholders(key)
        assert set(by_language) == {"fr", "en"}, key
        assert by_language["fr"] == by_language["en"], key
