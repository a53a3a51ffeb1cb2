"""What the brain sends to the terminal: private threads, staff notices and messages, printed
where the conversation is."""

from __future__ import annotations

from collections.abc import Callable

from bot.render import to_plain
from commands.i18n import translate
from commands.identities import CONSOLE
from commands.ports import OnboardingRequest, ThreadRef

PLATFORM = CONSOLE


class ConsoleOutbound:
    """The console side of `Outbound`: everything is printed, nothing can fail."""

    platform = PLATFORM

    def __init__(self, write: Callable[[str], None], language: str = "fr") -> None:
        self.write = write
        self.language = language

    async def open_onboarding_thread(self, request: OnboardingRequest) -> ThreadRef:
        label = translate("console.thread_label", self.language, title=request.mission_title)
        people = ", ".join((request.volunteer, *request.coordinators))
        self.write(translate("console.thread_opened", self.language, label=label, people=people))
        self.write(to_plain(request.welcome))
        self.write(translate("console.thread_end", self.language))
        return ThreadRef(PLATFORM, f"console-thread-{request.engagement_id}", label)

    async def send_direct(self, address: str, text: str) -> bool:
        self.write(translate("console.direct", self.language, person=address, text=to_plain(text)))
        return True

    async def notify_staff(self, text: str) -> bool:
        self.write(translate("console.staff", self.language, text=to_plain(text)))
        return True

    async def post_in_thread(self, thread_ref: str, text: str) -> bool:
        self.write(
            translate("console.in_thread", self.language, thread=thread_ref, text=to_plain(text))
        )
        return True

    async def forget(self, address: str) -> None:
        """The terminal keeps nothing about anyone."""
