"""Understanding people as they really write: skills and job titles, refusals, levels, and the
time and rhythm they offer."""

from commands.understanding.availability import Effort, mission_effort
from commands.understanding.reading import Understanding, understand

__all__ = ["Effort", "Understanding", "mission_effort", "understand"]
