"""Skills into API Engagement's vocabularies: a mission's activities and its domain of action.

The values are those the OpenAPI document lists for `activities` and `domain`; a skill not
named here (a new tag of the taxonomy) counts as computing, the association's usual need.
"""

from __future__ import annotations

from collections.abc import Iterable

INFORMATIQUE = "informatique"
COMMUNICATION = "communication"
FALLBACK_ACTIVITY = INFORMATIQUE

ACTIVITIES: dict[str, tuple[str, ...]] = {
    COMMUNICATION: (
        "communication",
        "reseaux-sociaux",
        "twitter",
        "mastodon",
        "fediverse",
        "peertube",
        "newsletter",
        "emailing",
        "redaction",
        "graphisme",
        "mise-en-page",
        "video",
        "photo",
        "audio",
        "journalisme",
        "relations-presse",
        "moderation",
    ),
    "art": ("illustration",),
    "documentation-traduction": (
        "relecture",
        "sous-titrage",
        "transcription",
        "documentation",
        "wikipedia",
        "langues",
        "traduction",
        "anglais",
        "espagnol",
        "allemand",
        "italien",
        "portugais",
        "arabe",
        "russe",
        "ukrainien",
        "chinois",
        "neerlandais",
        "polonais",
        "turc",
        "japonais",
        "persan",
        "roumain",
        "grec",
        "langue-des-signes",
        "archivage",
        "veille",
    ),
    "juridique": ("rgpd", "vie-privee", "droit", "licences-libres"),
    "gestion-de-projets": ("gestion-de-projet", "facilitation"),
    "enseignement-formation": ("formation",),
    "comptabilite-finance": ("comptabilite",),
    "gestion-recherche-des-partenariats": ("collecte-de-fonds",),
    "animation": ("evenementiel",),
    "taches-administratives": ("tableur", "bureautique", "crm", "outils-associatifs"),
}
ACTIVITY_OF = {tag: activity for activity, tags in ACTIVITIES.items() for tag in tags}


def activities_for(skills: Iterable[str]) -> list[str]:
    """The mission's activities, in the order of its skills, each once."""
    found: list[str] = []
    for tag in skills:
        activity = ACTIVITY_OF.get(tag, FALLBACK_ACTIVITY)
        if activity not in found:
            found.append(activity)
    return found


def domain_for(activities: list[str]) -> str:
    """Digital when computing is asked for, communication for communication alone, else
    skills-based volunteering (what every mission of the association is)."""
    if not activities or INFORMATIQUE in activities:
        return "numerique"
    if COMMUNICATION in activities:
        return "communication"
    return "benevolat-competences"
