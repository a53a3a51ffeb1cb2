"""What goes to the forum: the brain's replies, onboarding and direct messages, appeals."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import NoReturn

from bot.config import DiscourseConfig
from bot.connectors.discourse.api import ARCHETYPE_PRIVATE_MESSAGE, CreatedPost, QueuedPost
from bot.connectors.discourse.client import (
    ForumActionLimited,
    ForumClient,
    ForumError,
    ForumRefused,
    Json,
)
from bot.connectors.discourse.limiter import WriteKind
from bot.connectors.discourse.preflight import Abilities
from commands.i18n import Translator
from commands.identities import DISCOURSE, forum_username, safe_forum_username
from commands.ports import AppealText, OnboardingRequest, PortError, ThreadRef
from commands.text import Mentions, no_mentions, user_text
from storage import appeals as appeal_store

log = logging.getLogger(__name__)

PLATFORM = DISCOURSE
MAX_TITLE = 250
# Titles tried when the forum refuses one (already used, say): "Title", "Title (2)", …
TITLE_VARIANTS = 3
# When the coordinators' group can't be messaged, this many of its people are named instead
# (its owners first).
MAX_NAMED_COORDINATORS = 3

NotifyStaff = Callable[[str], Awaitable[bool]]


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


async def _nobody_to_tell(text: str) -> bool:
    return False


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
        *,
        abilities: Abilities | None = None,
        notify_staff: NotifyStaff = _nobody_to_tell,
    ) -> None:
        self.client = client
        self.config = config
        self.t = Translator(language)
        self.clock = clock
        self.abilities = abilities or Abilities()
        self._notify_staff = notify_staff
        self._queued_topics: set[int] = set()

    # ----------------------------------------------------------------- replies

    async def reply(self, topic_id: int, post_number: int, body: str) -> CreatedPost | QueuedPost:
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

    async def _reply_once(
        self, topic_id: int, post_number: int, body: str
    ) -> CreatedPost | QueuedPost:
        landed = functools.partial(self.find_reply, topic_id, post_number, body)
        return await self.client.create_post(
            body,
            kind=WriteKind.REPLY,
            topic_id=topic_id,
            reply_to_post_number=post_number,
            landed=landed,
        )

    async def find_reply(self, topic_id: int, post_number: int, body: str) -> Json | None:
        """The bot's post answering `post_number` with `body` (or its referenced variant):
        it can only come after the post it answers."""
        for post in await self.client.posts_after(topic_id, post_number):
            if (
                post.username.lower() == self.client.username.lower()
                and post.reply_to_post_number == post_number
                and (post.raw or "").startswith(body.strip())
            ):
                return post.model_dump(mode="json")
        return None

    async def tell_staff_post_queued(self, topic_id: int) -> None:
        """Once per topic: an answer waits for the forum's moderators."""
        if topic_id in self._queued_topics:
            return
        self._queued_topics.add(topic_id)
        base = (self.config.url or "").rstrip("/")
        await self._tell_staff(self.t("discourse.staff_post_queued", topic=f"{base}/t/{topic_id}"))

    async def _tell_staff(self, text: str) -> None:
        try:
            await self._notify_staff(text)
        except Exception:  # telling the staff must never break the conversation
            log.exception("staff notice about the forum failed")

    # ----------------------------------------------------------------- Outbound

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        """A private message between the member, the coordinators and the bot.

        When the coordinators' group can't be messaged by the bot, its people are named
        instead. When the forum won't let the bot open the message at all, the member is
        told whom to write to and the staff are told (a `PortError` with that sentence).
        """
        member = forum_username(request.volunteer)
        if member is None:
            raise PortError(PLATFORM, f"{request.volunteer!r} is no forum member", refused=True)
        people = self._forum_people(request.coordinators, member)
        group = safe_forum_username(self.config.coordinators_group)
        if not people and group and self.abilities.group_messageable is False:
            people = await self._group_people(group, member)

        def contacts() -> list[str]:
            """Whom the message goes to, besides the member: its people, else the group."""
            return people or ([group] if group else [])

        if not self.abilities.can_send_private_messages:
            await self._refused(request, member, contacts(), "no_pm")
        body = forum_text(request.welcome)
        titles = [
            self.t("discourse.onboarding_title", title=request.mission_title),
            self.t("discourse.onboarding_title_named", title=request.mission_title, name=member),
        ]
        attempt = 0
        while True:
            try:
                created = await self._private_message(
                    _title(titles[attempt]), body, ",".join([member, *contacts()])
                )
            except ForumActionLimited as limited:
                await self._later(request, member, contacts(), limited)
            except ForumRefused as refused:
                if refused.status == 422 and group and not people:
                    # The group was asked, but Discourse took it for a username: not messageable.
                    log.info("group %s not messageable by the bot: naming its people", group)
                    self.abilities.group_messageable = False
                    people = await self._group_people(group, member)
                    if people:
                        continue
                elif refused.status == 422 and attempt + 1 < len(titles):
                    log.info("onboarding message refused (%s): trying another title", refused)
                    attempt += 1
                    continue
                await self._refused(request, member, contacts(), "refused", refused)
            except ForumError as error:
                raise port_error(error) from error
            if isinstance(created, QueuedPost):  # Discourse never queues PMs; just in case
                raise PortError(PLATFORM, "private message held for approval", refused=True)
            return ThreadRef(PLATFORM, str(created.topic_id), _title(titles[attempt]))

    def _forum_people(self, coordinators: tuple[str, ...], member: str) -> list[str]:
        """The mission's coordinators who are forum members (never the bot nor the member).

        `target_recipients` is split on "," without trimming: names carry no spaces, ever.
        """
        bot = self.client.username.lower()
        chosen: dict[str, str] = {}
        for name in map(forum_username, coordinators):
            if name and name.lower() not in (bot, member.lower()):
                chosen.setdefault(name.lower(), name)
        return list(chosen.values())

    async def _group_people(self, group: str, member: str) -> list[str]:
        """Some people of the group, owners first, to message by username."""
        try:
            page = await self.client.group_members(group)
        except ForumError as error:
            log.warning("members of %s not readable: %s", group, error)
            return []
        people = [user.username for user in [*page.owners, *page.members]]
        return self._forum_people(tuple(f"discourse:{name}" for name in people), member)[
            :MAX_NAMED_COORDINATORS
        ]

    def _names(self, people: list[str]) -> str:
        return ", ".join(f"@{name}" for name in people)

    async def _refused(
        self,
        request: OnboardingRequest,
        member: str,
        contacts: list[str],
        why: str,
        error: ForumError | None = None,
    ) -> NoReturn:
        """The forum won't let the bot open the message: the staff are told, the member gets
        the next step. Always raises the `PortError` the brain explains."""
        await self._tell_staff_about(request, member, why)
        key = "discourse.pm_refused_named" if contacts else "discourse.pm_refused"
        reason = str(error) if error else "the bot's account may not send private messages"
        raise PortError(PLATFORM, reason, refused=True, key=key, people=self._names(contacts))

    async def _later(
        self,
        request: OnboardingRequest,
        member: str,
        contacts: list[str],
        limited: ForumActionLimited,
    ) -> NoReturn:
        await self._tell_staff_about(request, member, "later")
        raise PortError(
            PLATFORM, str(limited), key="discourse.pm_later", people=self._names(contacts)
        ) from limited

    async def _tell_staff_about(self, request: OnboardingRequest, member: str, why: str) -> None:
        notice = self.t(
            "discourse.staff_pm_refused",
            member=user_text(f"discourse:{member}"),
            line=f"#{request.mission_id} {user_text(request.mission_title)}",
            reason=self.t(f"discourse.pm_reason.{why}"),
        )
        await self._tell_staff(notice)

    async def send_direct(self, address: str, text: str) -> bool:
        """A private message to one member. False when it can't go now (the forum is
        unreachable or asks the bot to wait); a `PortError` when the forum refuses it."""
        member = forum_username(address)
        if member is None or member.lower() == self.client.username.lower():
            return False
        if not self.abilities.can_send_private_messages:
            raise PortError(
                PLATFORM, "no private messages", refused=True, key="discourse.direct_refused"
            )
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
        except ForumRefused as refused:
            log.warning("private message to %s refused: %s", member, refused)
            raise PortError(
                PLATFORM, str(refused), refused=True, key="discourse.direct_refused"
            ) from refused
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
            await self.client.create_post(
                forum_text(text), kind=WriteKind.REPLY, topic_id=int(thread_ref)
            )
        except ForumError as error:
            log.warning("message in topic %s not sent: %s", thread_ref, error)
            return False
        return True

    async def _private_message(
        self, title: str, body: str, recipients: str
    ) -> CreatedPost | QueuedPost:
        landed = functools.partial(self._find_private_message, title)
        return await self.client.create_post(
            body,
            kind=WriteKind.PRIVATE_MESSAGE,
            title=title,
            archetype=ARCHETYPE_PRIVATE_MESSAGE,
            target_recipients=recipients,
            landed=landed,
        )

    async def _find_private_message(self, title: str) -> Json | None:
        """The first post of the bot's newest private message titled `title`, if any."""
        for topic in (await self.client.private_messages()).topic_list.topics:
            if topic.title == title and topic.posts_count <= 1:
                return (await self.client.posts_after(topic.id, 0))[0].model_dump(mode="json")
        return None

    # ----------------------------------------------------------------- AppealPublisher

    async def publish_appeal(self, appeal: AppealText) -> list[str]:
        """A new topic in `discourse.appeal_category`; returns its id, or the pending place
        naming it by title when the forum holds it for its moderators."""
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
                    body, kind=WriteKind.TOPIC, title=title, category_id=category, landed=landed
                )
            except ForumRefused as refused:
                if refused.status == 422 and attempt < TITLE_VARIANTS:
                    log.info("appeal title refused (%s): trying another", refused)
                    continue
                log.warning("appeal not published: %s", refused)
                raise port_error(refused) from refused
            except ForumActionLimited as limited:
                log.warning("appeal not published yet: %s", limited)
                raise PortError(PLATFORM, str(limited), key="discourse.appeal_later") from limited
            except ForumError as error:
                log.warning("appeal not published: %s", error)
                raise port_error(error) from error
            if isinstance(created, QueuedPost):  # followed once approved (watcher.py)
                log.warning("appeal held for the forum's moderators")
                return [appeal_store.pending_place(title)]
            return [str(created.topic_id)]
        raise AssertionError("unreachable")

    async def _find_topic(self, category: int, title: str) -> Json | None:
        """The first post of the topic titled `title` in the category, if it exists."""
        listing = await self.client.category_topics(category)
        for topic in listing.topic_list.topics:
            if topic.title == title:
                return (await self.client.posts_after(topic.id, 0))[0].model_dump(mode="json")
        return None
