"""Reading a sentence, not a bag of words: the issue's own examples, and their neighbours."""

from __future__ import annotations

import pytest

from commands.skills import Taxonomy
from commands.understanding import mission_effort, understand
from commands.understanding.availability import hours_per_month
from storage.enums import Commitment, SkillLevel

TAXONOMY = Taxonomy.default()


def read(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    understood = understand(text, TAXONOMY)
    return understood.skills, understood.refused


# -- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("Je fais du Python, pas de PHP", "php"),
        ("Please no WordPress", "wordpress"),
        ("mon anglais est très scolaire, je préfère ne pas m'y risquer", "anglais"),
        ("plus jamais de vidéo", "video"),
        ("I speak Arabic, but I'm not a professional translator", "traduction"),
        ("Traduction, non merci.", "traduction"),
        ("Le RGPD, très peu pour moi.", "rgpd"),
        ("J'ai été community manager. Je ne veux plus en faire.", "reseaux-sociaux"),
        ("Kubernetes? Never again.", "kubernetes"),
        ("Video isn't my thing.", "video"),
        ("Je ne traduis pas.", "traduction"),
        ("Tout sauf Twitter !", "twitter"),
        ("I hate spreadsheets", "tableur"),
        ("Je suis une quiche en informatique", "informatique"),
        ("Bof le marketing, moi c'est les chiffres", "communication"),
        ("Le PHP ? Bof.", "php"),
        ("I can translate, anything except legal texts.", "droit"),
        ("I don't really do computers", "informatique"),
    ],
)
def test_a_refusal_is_heard_and_never_read_as_a_skill(text: str, refused: str) -> None:
    skills, refusals = read(text)
    assert refused in refusals
    assert refused not in skills


def test_a_refusal_reaches_the_whole_list_and_stops_at_but() -> None:
    skills, refused = read("Pas de WordPress, Drupal ou SPIP, mais du Hugo volontiers")
    assert refused == ("wordpress", "drupal", "spip")
    assert skills == ("sites-statiques",)
    skills, refused = read("Pas de PHP, je fais du Python")
    assert (skills, refused) == (("python",), ("php",))


def test_the_last_word_on_a_skill_wins() -> None:
    assert read("J'ai fait du montage vidéo dix ans. Plus jamais de vidéo !") == ((), ("video",))
    skills, refused = read("Je n'ai jamais fait de Python mais j'aimerais apprendre.")
    assert skills == ("python",) and refused == ()
    assert (
        understand("Je n'ai jamais fait de Python mais j'aimerais apprendre.", TAXONOMY).levels[
            "python"
        ]
        is SkillLevel.LEARNING
    )


@pytest.mark.parametrize(
    "text",
    [
        "Je ne fais pas que du CSS",
        "J'ai fait pas mal de CSS",
        "Je ne suis pas contre un peu de CSS",
        "I don't mind CSS",
        "No problem with CSS",
        "N'hésitez pas à me proposer du CSS",
        "I'm not only into CSS",
    ],
)
def test_negative_looking_phrases_that_are_not_refusals(text: str) -> None:
    assert read(text) == (("css",), ())


@pytest.mark.parametrize(
    "text",
    [
        "Pas de réseaux sociaux. Je tiens un compte Mastodon.",
        "Je tiens un compte Mastodon, mais pas de réseaux sociaux.",
    ],
)
def test_an_implied_skill_never_overrides_a_refusal(text: str) -> None:
    assert read(text) == (("mastodon", "fediverse"), ("reseaux-sociaux",))


# -- job titles and homonyms ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("User researcher", ("recherche-utilisateur",)),
        ("Product designer", ("design-ux",)),
        ("DevOps chez un hébergeur", ("devops",)),
        ("dev fullstack React/Node", ("developpement", "react", "nodejs", "javascript")),
        ("chargée de développement des ressources", ("collecte-de-fonds",)),
        ("je fais de la com", ("communication",)),
        ("on utilise Element au boulot", ("matrix",)),
        ("conference interpreter", ("traduction",)),
        ("Juriste, DPO mutualisée", ("droit", "rgpd")),
        ("Frontend developer", ("developpement", "html", "css", "javascript")),
    ],
)
def test_job_titles_and_implied_skills(text: str, skills: tuple[str, ...]) -> None:
    assert read(text) == (skills, ())


@pytest.mark.parametrize(
    ("text", "not_understood"),
    [
        ("agent de sécurité incendie", "incendie"),
        ("I work as a security guard", "security guard"),
        ("montage de meubles", "montage de meubles"),
        ("design de gâteaux", "design de gâteaux"),
        ("serveuse dans un bar", "serveuse"),
        ("serveur en restaurant", "serveur en restaurant"),
        ("un python royal au zoo", "python royal"),
        ("barista au Java Café", "barista au Java"),
        ("coach en développement personnel", "développement personnel"),
        ("je l'ai traduit en justice", "traduit en justice"),
        ("Je travaille à la sécu, au service des remboursements", "remboursements"),
        ("Docker au port depuis vingt ans", "Docker au port"),
    ],
)
def test_homonyms_are_no_skill_and_are_said_as_not_understood(
    text: str, not_understood: str
) -> None:
    understood = understand(text, TAXONOMY)
    assert understood.skills == ()
    assert any(not_understood in phrase for phrase in understood.unknown)


def test_by_training_is_not_teaching() -> None:
    assert read("juriste de formation") == (("droit",), ())
    assert read("une formation en graphisme") == (("graphisme",), ())
    assert read("j'anime des formations") == (("formation",), ())


def test_a_word_is_a_product_name_only_when_written_as_one() -> None:
    assert read("un élément du décor") == ((), ())
    assert read("Element et Nextcloud au quotidien")[0] == ("nextcloud",)  # sentence start
    assert read("Au quotidien : Element et Nextcloud")[0] == ("matrix", "nextcloud")


def test_tableau_is_the_charting_tool_only_when_written_as_a_name() -> None:
    assert read("SQL, Tableau, Power BI")[0] == (
        "bases-de-donnees",
        "visualisation-de-donnees",
        "analyse-de-donnees",
    )
    assert read("un tableau de bord")[0] == ()


def test_refusing_computing_turns_down_the_digital_missions() -> None:
    from commands.matching import Profile, rank
    from storage.enums import Commitment as C
    from storage.models import Mission

    def mission(number: int, skills: list[str]) -> Mission:
        return Mission(id=number, ref=str(number), title="", skills=skills, entry_door=False,
                       commitment=C.ONE_OFF, effort="2 h")  # fmt: skip

    missions = [mission(1, ["vie-privee", "formation"]), mission(2, ["relecture", "formation"])]
    profile = Profile.from_understanding(
        understand("Retired teacher, I don't really do computers.", TAXONOMY)
    )
    assert [m.mission.id for m in rank(missions, profile, TAXONOMY, newcomer=False)] == [2]


def test_figma_is_interface_design_not_user_research() -> None:
    assert read("I use Figma every day") == (("design-ux",), ())


# -- levels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        (
            "Total beginner with WordPress, experienced proofreader.",
            {"wordpress": SkillLevel.BEGINNER, "relecture": SkillLevel.EXPERT},
        ),
        ("Débutant en Python", {"python": SkillLevel.BEGINNER}),
        ("mon anglais est scolaire", {"anglais": SkillLevel.BEGINNER}),
        ("Je code en Rust et en Go à un niveau avancé.", {"rust": SkillLevel.EXPERT}),
        ("Learning Docker at the moment", {"docker": SkillLevel.LEARNING}),
        ("Fluent in German, rusty Spanish", {"allemand": SkillLevel.EXPERT}),
        ("Linux admin for 15 years", {"linux": SkillLevel.EXPERT}),
        ("Not great at CSS", {"css": SkillLevel.BEGINNER}),
        ("En anglais je me débrouille, sans plus.", {"anglais": SkillLevel.BEGINNER}),
        ("Python, 6 mois d'expérience", {"python": SkillLevel.BEGINNER}),
        ("Traductrice pro", {"traduction": SkillLevel.EXPERT}),
        ("un peu d'accessibilité", {"accessibilite": SkillLevel.BEGINNER}),
        ("je fais du CSS", {"css": SkillLevel.STATED}),
    ],
)
def test_levels_are_kept(text: str, levels: dict[str, SkillLevel]) -> None:
    understood = understand(text, TAXONOMY)
    for tag, level in levels.items():
        assert understood.levels[tag] is level


# -- time and rhythm -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2 h par mois, pas plus", 2.0),
        ("2 heures par mois maximum", 2.0),
        ("2 hours a week max", 8.67),
        ("a couple of hours a month", 2.0),
        ("quelques heures par mois", 3.0),
        ("une soirée par semaine", 13.0),
        ("Half a day a month", 4.0),
        ("3 à 4 h par semaine", 17.33),
        ("2h/mois", 2.0),
        ("le mardi à 18h", None),
        ("une heure ou deux le dimanche", 8.67),
        ("two hours on Sundays", 8.67),
        ("8 h le jour, je dors la nuit", None),
        ("depuis 6 ans", None),
    ],
)
def test_time_offered(text: str, hours: float | None) -> None:
    assert hours_per_month(text) == hours


@pytest.mark.parametrize(
    ("text", "commitment"),
    [
        ("régulier plutôt qu'un coup ponctuel", Commitment.RECURRING),
        ("I'd prefer a regular thing over one-off gigs", Commitment.RECURRING),
        ("Pas d'engagement régulier pour moi", Commitment.ONE_OFF),
        ("One-off tasks only, I can't commit long term", Commitment.ONE_OFF),
        ("not something weekly", Commitment.ONE_OFF),
        ("once a month", Commitment.RECURRING),
        ("de temps en temps", Commitment.ONE_OFF),
        ("je fais du CSS", None),
    ],
)
def test_rhythm_preferred(text: str, commitment: Commitment | None) -> None:
    assert understand(text, TAXONOMY).commitment is commitment


@pytest.mark.parametrize(
    ("effort", "commitment", "hours", "monthly"),
    [
        ("2 h", Commitment.ONE_OFF, 2.0, False),
        ("4 h / mois", Commitment.RECURRING, 4.0, True),
        ("2 h / semaine", Commitment.RECURRING, 8.67, True),
        ("15 h", Commitment.ONE_OFF, 15.0, False),
        ("3 h", Commitment.RECURRING, 3.0, True),
    ],
)
def test_what_a_mission_asks(
    effort: str, commitment: Commitment, hours: float, monthly: bool
) -> None:
    asked = mission_effort(effort, commitment)
    assert asked is not None and (asked.hours, asked.monthly) == (hours, monthly)
    assert mission_effort("à voir ensemble", commitment) is None


# -- what is said back ---------------------------------------------------------------


def test_words_of_the_reading_are_not_reported_as_unknown() -> None:
    understood = understand("Débutant en Python, pas de PHP, 2 h par mois, pas plus", TAXONOMY)
    assert understood.unknown == ()
    understood = understand("agent de sécurité incendie et macramé", TAXONOMY)
    assert understood.unknown == ("agent de sécurité", "incendie", "macramé")
