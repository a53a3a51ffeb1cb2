"""Property tests: no input crashes the command layer; fields and tokens parse predictably."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.fields import FieldProblem, parse_fields
from commands.skills import Taxonomy
from commands.text import next_token, user_text
from storage.missions import MISSION_FIELDS
from tests.conversation import Chat

COMMAND_WORDS = st.sampled_from(
    [
        "!aide",
        "!missions",
        "!mission",
        "!mission ajouter",
        "!mission modifier",
        "!participer",
        "!competences",
        "!langue",
        "!alertes",
        "!confiance",
        "!terminer",
        "!oublier",
        "!start",
        "!benevoles",
        "!pourmoi",
        "!mesdonnees",
        "!xyz",
        "!",
    ]
)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=COMMAND_WORDS, argument=TEXT, staff=st.booleans())
async def test_every_input_gets_a_reply_or_a_deliberate_silence(
    chat: Chat, command: str, argument: str, staff: bool
) -> None:
    answer = await chat.say("staff" if staff else "alice", f"{command} {argument}")
    assert "Traceback" not in answer
    assert "quelque chose s'est mal passé" not in answer
    if command != "!":
        assert answer  # every command gets an answer


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_tokens_never_lose_text(text: str) -> None:
    token, _rest = next_token(text)
    if token is None:
        assert not text.strip()
    else:
        assert token.strip() in text


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400))
def test_fields_parse_or_name_the_problem(text: str) -> None:
    try:
        parsed = parse_fields(text, Taxonomy.default())
    except FieldProblem as problem:
        assert problem.key.startswith("fields.")
    else:
        assert set(parsed.values) <= set(MISSION_FIELDS)


@given(text=TEXT)
def test_user_text_never_mentions_anyone(text: str) -> None:
    safe = user_text(text)
    for mention in ("@room", "@everyone", "@here"):
        assert mention not in safe
