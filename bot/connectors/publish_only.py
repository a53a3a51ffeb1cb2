"""The brain's way to a platform it only publishes on: no private thread, no message."""

from __future__ import annotations

from commands.ports import OnboardingRequest, PortError, ThreadRef


class PublishOnly:
    """The `Outbound` side of a connector nobody talks to the bot through: opening a thread is
    refused, and every message answers False (the hub looks elsewhere for those)."""

    platform: str
    platform_name: str  # as people know it, for the refusal

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        raise PortError(self.platform, f"no private threads on {self.platform_name}", refused=True)

    async def send_direct(self, address: str, text: str) -> bool:
        return False

    async def notify_staff(self, text: str) -> bool:
        return False

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        return False
