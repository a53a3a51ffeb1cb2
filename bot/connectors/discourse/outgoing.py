"""What goes to the forum: the brain's replies, onboarding and direct messages, appeals."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import ARCHETYPE_PRIVATE_MESSAGE, CreatedPost
from bot.connectors.discourse.client import ForumClient, ForumError, ForumRefused, Json
from commands.i18n import Translator
from commands.identities import DISCOURSE, forum_username, safe_forum_username
from commands.ports import AppealText, OnboardingRequest, PortError, ThreadRef
from commands.text import Mentions, no_mentions

log = logging.getLogger(__name__)

PLATFORM = DISCOURSE
MAX_TITLE = 250
# Titles tried when the forum refuses one (already used, say): "Title", "Title (2)", …
TITLE_VARIANTS = 3


def forum_text(markdown: str) -> str:
    """The bot's Markdown as the forum gets it: "@name" reads the same but notifies nobody
    (mission titles like "@font-face", Matrix ids, quoted words like "@everyone")."""
    return no_mentions(markdown, Mentions.FORUM)


def reply_body(username: str | None, replies: list[str]) -> str:
    """One forum post for the brain's replies, mentioning only the member answered."""
    text = forum_text("\n\n".join(replies))
    member = safe_forum_username(username)
    return f"@{member} {text}" if member else text


def port_error(error: ForumError) -> PortError:
    """What the brain is told when the forum refused or failed."""
    return PortError(PLATFORM, str(error), refused=isinstance(error, ForumRefused))


def _title(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_TITLE else flat[: MAX_TITLE - 1].rstrip() + "…"


class ForumOutbound:
    """The forum side of `Outbound` and `AppealPublisher`; every post goes through the client
    and every failure the brain sees is a `PortError`."""

    platform = PLATFORM

    def __init__(
        self,
        client: ForumClient,
        config: DiscourseConfig,
        language: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.config = config
        self.t = Translator(language)
        self.clock = clock

    # ----------------------------------------------------------------- replies

    async def reply(self, topic_id: int, post_number: int, body: str) -> CreatedPost:
        """Answer post `post_number` of a topic; raises ForumError when it can't be done.

        A bot that is not staff may not post the same text twice in five minutes (the same
        `!missions` asked twice): then the reply says which message it answers.
        """
        try:
            return await self._reply_once(topic_id, post_number, body)
        except ForumRefused as refused:
            if refused.status != 422:
                raise
            log.info(
                "reply in topic %s refused (%s): posting it with a reference", topic_id, refused
            )
        again = body + "\n\n" + self.t("discourse.reply_reference", number=post_number)
        return await self._reply_once(topic_id, post_number, again)

    async def _reply_once(self, topic_id: int, post_number: int, body: str) -> CreatedPost:
        landed = functools.partial(self.find_reply, topic_id, post_number, body)
        return await self.client.create_post(
            body, topic_id=topic_id, reply_to_post_number=post_number, landed=landed
        )

    async def find_reply(self, topic_id: int, post_number: int, body: str) -> Json | None:
        """The bot's post answering `post_number` with `body` (or its referenced variant)."""
        for post in await self.client.posts_around(topic_id, post_number):
            if (
                post.username.lower() == self.client.username.lower()
                and post.reply_to_post_number == post_number
                and (post.raw or "").startswith(body.strip())
            ):
                return post.model_dump(mode="json")
        return None

    # ----------------------------------------------------------------- Outbound

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        """A private message between the member, the coordinators and the bot."""
        member = forum_username(request.volunteer)
        if member is None:
            raise PortError(PLATFORM, f"{request.volunteer!r} is no forum member", refused=True)
        recipients = ",".join(self._recipients(member, request.coordinators))
        body = forum_text(request.welcome)
        titles = [
            self.t("discourse.onboarding_title", title=request.mission_title),
            self.t("discourse.onboarding_title_named", title=request.mission_title, name=member),
        ]
        for attempt, title in enumerate(map(_title, titles), start=1):
            try:
                created = await self._private_message(title, body, recipients)
            except ForumRefused as refused:
                if refused.status != 422 or attempt == len(titles):
                    raise port_error(refused) from refused
                log.info("onboarding message refused (%s): trying another title", refused)
                continue
            except ForumError as error:
                raise port_error(error) from error
            return ThreadRef(PLATFORM, str(created.topic_id), title)
        raise AssertionError("unreachable")

    def _recipients(self, member: str, coordinators: tuple[str, ...]) -> list[str]:
        """The member, then the mission's forum coordinators, else the coordinators' group.

        `target_recipients` is split on "," without trimming: no spaces, ever.
        """
        people = [name for name in map(forum_username, coordinators) if name]
        group = safe_forum_username(self.config.coordinators_group)
        others = people or ([group] if group else [])
        bot = self.client.username.lower()
        chosen: dict[str, str] = {}
        for name in [member, *others]:
            if name.lower() != bot:
                chosen.setdefault(name.lower(), name)
        return list(chosen.values())

    async def send_direct(self, address: str, text: str) -> bool:
        """A private message to one member."""
        member = forum_username(address)
        if member is None or member.lower() == self.client.username.lower():
            return False
        body = forum_text(text)
        title = self.t("discourse.direct_title")
        try:
            try:
                await self._private_message(title, body, member)
            except ForumRefused as refused:
                if refused.status != 422:
                    raise
                moment = self.clock().strftime("%d/%m %H:%M:%S")
                again = body + "\n\n" + self.t("discourse.sent_at", moment=moment)
                await self._private_message(title, again, member)
        except ForumError as error:
            log.warning("private message to %s not sent: %s", member, error)
            return False
        return True

    async def notify_staff(self, text: str) -> bool:
        """The forum has no staff room: the hub tries the next platform (Matrix)."""
        return False

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        """A message in an onboarding conversation (a topic id)."""
        if not thread_ref.isdigit():
            return False
        try:
            await self.client.create_post(forum_text(text), topic_id=int(thread_ref))
        except ForumError as error:
            log.warning("message in topic %s not sent: %s", thread_ref, error)
            return False
        return True

    async def _private_message(self, title: str, body: str, recipients: str) -> CreatedPost:
        landed = functools.partial(self._find_private_message, title)
        return await self.client.create_post(
            body,
            title=title,
            archetype=ARCHETYPE_PRIVATE_MESSAGE,
            target_recipients=recipients,
            landed=landed,
        )

    async def _find_private_message(self, title: str) -> Json | None:
        """The first post of the bot's newest private message titled `title`, if any."""
        for topic in (await self.client.private_messages()).topic_list.topics:
            if topic.title == title and topic.posts_count <= 1:
                return (await self.client.posts_around(topic.id, 1))[0].model_dump(mode="json")
        return None

    # ----------------------------------------------------------------- AppealPublisher

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        """A new topic in `discourse.appeal_category`; returns its id."""
        category = self.config.appeal_category
        if category is None:
            raise PortError(
                PLATFORM, "no appeal category", refused=True, key="discourse.no_appeal_category"
            )
        body = forum_text(appeal.body)
        for attempt in range(1, TITLE_VARIANTS + 1):
            title = _title(appeal.title if attempt == 1 else f"{appeal.title} ({attempt})")
            landed = functools.partial(self._find_topic, category, title)
            try:
                created = await self.client.create_post(
                    body, title=title, category_id=category, landed=landed
                )
            except ForumRefused as refused:
                if refused.status == 422 and attempt < TITLE_VARIANTS:
                    log.info("appeal title refused (%s): trying another", refused)
                    continue
                log.warning("appeal not published: %s", refused)
                raise port_error(refused) from refused
            except ForumError as error:
                log.warning("appeal not published: %s", error)
                raise port_error(error) from error
            return [str(created.topic_id)]
        raise AssertionError("unreachable")

    async def _find_topic(self, category: int, title: str) -> Json | None:
        """The first post of the topic titled `title` in the category, if it exists."""
        listing = await self.client.category_topics(await self.client.category_path(category))
        for topic in listing.topic_list.topics:
            if topic.title == title:
                return (await self.client.posts_around(topic.id, 1))[0].model_dump(mode="json")
        return None
