"""A fake Discourse forum: an aiohttp server on 127.0.0.1, a faithful model of what Tremplin
meets on a real forum where its account is a plain member.

Each behaviour names the Discourse file and method it models (repository discourse/discourse).
Modules: `settings` (defaults and profiles), `site` (the state), `posting` (creating posts,
the approval queue, private-message permissions, rate limits), `alerts` (notifications, with
their collapsing), `serializers` (JSON), `webhooks`, `server` (HTTP, authentication, budgets).
"""

from tests.fakes.discourse.errors import ApiError, PostRejected, RateLimited
from tests.fakes.discourse.server import FakeDiscourse, RecordedRequest
from tests.fakes.discourse.settings import GroupLevel, NotificationLevel, SiteSettings, TrustLevel
from tests.fakes.discourse.site import (
    FakeCategory,
    FakeGroup,
    FakeNotification,
    FakePost,
    FakeTopic,
    FakeUser,
    PendingPost,
)
from tests.fakes.discourse.text import cook, extract_mentions, extract_quotes
from tests.fakes.discourse.webhooks import FakeWebhook, WebhookDelivery

__all__ = [
    "ApiError",
    "FakeCategory",
    "FakeDiscourse",
    "FakeGroup",
    "FakeNotification",
    "FakePost",
    "FakeTopic",
    "FakeUser",
    "FakeWebhook",
    "GroupLevel",
    "NotificationLevel",
    "PendingPost",
    "PostRejected",
    "RateLimited",
    "RecordedRequest",
    "SiteSettings",
    "TrustLevel",
    "WebhookDelivery",
    "cook",
    "extract_mentions",
    "extract_quotes",
]
