"""The fake forum's settings: Discourse's own defaults, and the profiles the tests use.

Every default below is Discourse's, read from `config/site_settings.yml` (site settings) and
`config/discourse_defaults.conf` (global settings). A test that needs a kinder forum asks for
`SiteSettings.friendly()` by name; everything else meets the forum as the CHATONS run it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["GroupLevel", "NotificationLevel", "SiteSettings", "TrustLevel"]


class TrustLevel:
    """`TrustLevel.levels` (lib/trust_level.rb): a new account is 0."""

    NEW = 0
    BASIC = 1
    MEMBER = 2
    REGULAR = 3
    LEADER = 4


class GroupLevel:
    """`Group::ALIAS_LEVELS` (app/models/group.rb), for "who can message / mention" a group.

    A new group's `messageable_level` is 0: nobody but admins may message it.
    """

    NOBODY = 0
    ONLY_ADMINS = 1
    MODS_AND_ADMINS = 2
    MEMBERS_MODS_AND_ADMINS = 3
    OWNERS_MODS_AND_ADMINS = 4
    EVERYONE = 99


class NotificationLevel:
    """`TopicUser.notification_levels` (app/models/topic_user.rb)."""

    MUTED = 0
    REGULAR = 1
    TRACKING = 2
    WATCHING = 3


@dataclass(frozen=True)
class SiteSettings:
    """The settings the fake obeys, with Discourse's defaults."""

    # posting (config/site_settings.yml)
    min_post_length: int = 20
    min_first_post_length: int = 20
    min_personal_message_post_length: int = 10
    max_post_length: int = 32000
    min_topic_title_length: int = 15
    max_topic_title_length: int = 255
    min_personal_message_title_length: int = 2
    # `personal_message_enabled_groups: "11"`, the automatic group trust_level_1 (and up)
    personal_message_min_trust_level: int = TrustLevel.BASIC
    newuser_max_replies_per_topic: int = 3
    newuser_max_mentions_per_post: int = 2
    newuser_max_links: int = 2
    # `approve_unless_allowed_groups: "10"` (trust_level_0: nobody queued for that reason)
    approve_unless_trust_level: int = TrustLevel.NEW
    approve_new_topics_unless_trust_level: int = TrustLevel.NEW
    # spam (NewPostManager.is_fast_typer?)
    auto_silence_fast_typers_on_first_post: bool = True
    auto_silence_fast_typers_max_trust_level: int = TrustLevel.NEW
    min_first_post_typing_time: int = 3000
    # rate limits (config/site_settings.yml, section rate_limits)
    unique_posts_mins: float = 5
    rate_limit_create_topic: int = 15
    rate_limit_create_post: int = 5
    rate_limit_new_user_create_topic: int = 120
    rate_limit_new_user_create_post: int = 30
    max_topics_per_day: int = 20
    max_personal_messages_per_day: int = 20
    max_topics_in_first_day: int = 3
    max_replies_in_first_day: int = 10
    # global settings (config/discourse_defaults.conf); None switches a limiter off
    max_user_api_reqs_per_minute: int | None = 20
    max_user_api_reqs_per_day: int | None = 2880
    max_admin_api_reqs_per_minute: int | None = 60
    max_reqs_per_ip_per_10_seconds: int | None = 50
    max_reqs_per_ip_per_minute: int | None = 200
    # an identical POST /posts with an admin key within this many seconds returns the first
    # answer (PostsController#create, DistributedMemoizer.memoize(…, 120))
    api_post_memo_seconds: float = 120.0
    # RateLimiter.disabled? — only `friendly()` turns the per-user action limits off
    action_limits: bool = True

    @classmethod
    def friendly(cls) -> SiteSettings:
        """A forum without any rate limit: for tests that are about something else."""
        return cls(
            unique_posts_mins=0,
            max_user_api_reqs_per_minute=None,
            max_user_api_reqs_per_day=None,
            max_admin_api_reqs_per_minute=None,
            max_reqs_per_ip_per_10_seconds=None,
            max_reqs_per_ip_per_minute=None,
            action_limits=False,
        )

    def but(self, **changes: object) -> SiteSettings:
        """These settings, with a few changed (as an admin would in /admin/site_settings)."""
        return replace(self, **changes)  # type: ignore[arg-type]
