"""Skills taxonomy: loading, extraction of tags from free text, normalisation."""

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.skills import Extraction, Skill, Taxonomy, slugify
from commands.text import fold_letters


def words(text: str) -> list[str]:
    return text.split()


REQUIRED_TAGS = words(
    """
    mastodon fediverse reseaux-sociaux twitter html css polices newsletter emailing
    automatisation traduction anglais espagnol wordpress linux sauvegardes securite chiffrement
    nextcloud matrix python graphisme video redaction rgpd accessibilite gestion-de-projet
    formation tableur bases-de-donnees javascript hebergement-email sites-statiques
    administration-systeme dns droit relecture
    """
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.default()


def tags(taxonomy: Taxonomy, text: str) -> tuple[str, ...]:
    return taxonomy.extract(text).tags


# -- the examples of the brief --------------------------------------------------------


def test_canonical_french_example(taxonomy: Taxonomy) -> None:
    text = "je fais du css et un peu de wordpress, je traduis aussi de l'anglais"
    assert tags(taxonomy, text) == ("css", "wordpress", "traduction", "anglais")


def test_same_example_written_differently(taxonomy: Taxonomy) -> None:
    text = "Je fais du CSS, un peu de WordPress et je traduis de l'anglais"
    assert tags(taxonomy, text) == ("css", "wordpress", "traduction", "anglais")


def test_english_example(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "I do CSS and translate from English") == ("css", "traduction", "anglais")


def test_unknown_word_is_kept_as_written(taxonomy: Taxonomy) -> None:
    assert taxonomy.extract("je fais du css et du macramé") == Extraction(("css",), ("macramé",))


def test_canonical_example_has_nothing_unknown(taxonomy: Taxonomy) -> None:
    text = "je fais du css et un peu de wordpress, je traduis aussi de l'anglais"
    assert taxonomy.extract(text).unknown == ()


# -- spelling variants ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["CSS", "Css", "cSs", "css"])
def test_case_is_ignored(taxonomy: Taxonomy, text: str) -> None:
    assert tags(taxonomy, text) == ("css",)


@pytest.mark.parametrize("text", ["sécurité", "securite", "SÉCURITÉ", "Sécurite"])
def test_accents_are_ignored(taxonomy: Taxonomy, text: str) -> None:
    assert tags(taxonomy, text) == ("securite",)


def test_decomposed_accents_are_ignored(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "se\u0301curite\u0301") == ("securite",)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("sauvegardes", "sauvegardes"),
        ("backups", "sauvegardes"),
        ("les réseaux sociaux", "reseaux-sociaux"),
        ("des tableurs", "tableur"),
        ("newsletters", "newsletter"),
        ("bases de données", "bases-de-donnees"),
        ("spreadsheets", "tableur"),
    ],
)
def test_plurals(taxonomy: Taxonomy, text: str, tag: str) -> None:
    assert tags(taxonomy, text) == (tag,)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("traducteur·rice", "traduction"),
        ("traducteur.ice", "traduction"),
        ("traducteur·rice·s", "traduction"),
        ("traductrices", "traduction"),
        ("traductrice", "traduction"),
        ("traducteur(rice)", "traduction"),
        ("développeur·se", "developpement"),
        ("développeuse", "developpement"),
        ("développeur.euse.s", "developpement"),
        ("rédacteur·ices", "redaction"),
        ("informaticienne", "informatique"),
        ("formateur·ice", "formation"),
    ],
)
def test_inclusive_and_feminine_forms(taxonomy: Taxonomy, text: str, tag: str) -> None:
    assert taxonomy.extract(text) == Extraction((tag,), ())


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("wordpres", "wordpress"),
        ("traductoin", "traduction"),
        ("javascipt", "javascript"),
        ("nextclound", "nextcloud"),
        ("accessibilté", "accessibilite"),
        ("pyhton", "python"),
        ("linxu", "linux"),
    ],
)
def test_typos_are_tolerated(taxonomy: Taxonomy, text: str, tag: str) -> None:
    assert tags(taxonomy, text) == (tag,)


@pytest.mark.parametrize("text", ["htlm", "csss", "pyton", "linix"])
def test_short_words_are_not_typo_corrected(taxonomy: Taxonomy, text: str) -> None:
    """Below five letters nothing is guessed; short words only forgive swapped letters."""
    assert tags(taxonomy, text) == ()


@pytest.mark.parametrize(
    "text", ["la montagne", "une réduction", "le discours", "une posture", "programme"]
)
def test_ordinary_words_close_to_an_alias_are_not_corrected(taxonomy: Taxonomy, text: str) -> None:
    assert tags(taxonomy, text) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("réseaux sociaux", ("reseaux-sociaux",)),
        ("libreoffice calc", ("tableur",)),
        ("LibreOffice", ("bureautique",)),
        ("social media", ("reseaux-sociaux",)),
        ("static site", ("sites-statiques",)),
        ("gestion de projet", ("gestion-de-projet",)),
        ("@font-face", ("polices",)),
        ("web design", ("design-ux",)),
        ("polices web", ("polices",)),
    ],
)
def test_multi_word_aliases_win_over_single_words(
    taxonomy: Taxonomy, text: str, expected: tuple[str, ...]
) -> None:
    assert tags(taxonomy, text) == expected


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("translation", "traduction"),
        ("translating", "traduction"),
        ("backups", "sauvegardes"),
        ("spreadsheet", "tableur"),
        ("excel", "tableur"),
        ("fonts", "polices"),
        ("typographie", "polices"),
        ("fédivers", "fediverse"),
        ("project management", "gestion-de-projet"),
        ("proofreading", "relecture"),
        ("databases", "bases-de-donnees"),
        ("encryption", "chiffrement"),
    ],
)
def test_english_and_french_aliases(taxonomy: Taxonomy, text: str, tag: str) -> None:
    assert tags(taxonomy, text) == (tag,)


@pytest.mark.parametrize(
    "text",
    ["de l'anglais", "d'anglais", "l’anglais", "qu'anglais", "j'anglais", "jusqu'à l'anglais"],
)
def test_elisions(taxonomy: Taxonomy, text: str) -> None:
    assert taxonomy.extract(text) == Extraction(("anglais",), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ et C#", ("c-cpp", "dotnet")),
        ("Node.js et Vue.js", ("nodejs", "vuejs", "javascript")),
        ("GNU/Linux, CI/CD, Wi-Fi", ("linux", "devops", "reseau")),
        ("auto-hébergement avec docker-compose", ("serveurs", "docker")),
        ("HTML5/CSS3", ("html", "css")),
    ],
)
def test_words_with_symbols(taxonomy: Taxonomy, text: str, expected: tuple[str, ...]) -> None:
    assert tags(taxonomy, text) == expected


def test_phrase_that_is_not_a_skill_is_reported_unknown(taxonomy: Taxonomy) -> None:
    assert taxonomy.extract("la Sécurité sociale") == Extraction((), ("Sécurité sociale",))


def test_exact_only_alias_is_not_folded(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "Tails") == ("anonymat",)
    assert tags(taxonomy, "tail") == ()


def test_verb_forms(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "je traduis, j'ai traduit, je peux traduire") == ("traduction",)


def test_ambiguous_french_words_are_not_skills(taxonomy: Taxonomy) -> None:
    text = "ils font partie de la police, tu as le droit de venir, la sécurité sociale"
    assert tags(taxonomy, text) == ()


def test_french_verb_font_is_not_fonts(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "ils font du css") == ("css",)


# -- result shape ---------------------------------------------------------------------


def test_no_duplicates(taxonomy: Taxonomy) -> None:
    text = "CSS, css, du Css et encore des feuilles de style; traduction, traduire"
    assert tags(taxonomy, text) == ("css", "traduction")


def test_order_of_first_mention(taxonomy: Taxonomy) -> None:
    text = "python, puis linux, puis à nouveau python et enfin docker"
    assert tags(taxonomy, text) == ("python", "linux", "docker")


def test_implied_tags_come_after_explicit_ones(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "mastodon et python") == (
        "mastodon",
        "python",
        "fediverse",
        "reseaux-sociaux",
    )


def test_implied_tag_already_mentioned_keeps_its_place(taxonomy: Taxonomy) -> None:
    assert tags(taxonomy, "fediverse, mastodon") == ("fediverse", "mastodon", "reseaux-sociaux")


def test_unknown_neighbour_words_form_one_phrase(taxonomy: Taxonomy) -> None:
    extraction = taxonomy.extract("Je fais de la Poterie Artisanale, du css et du macramé")
    assert extraction.tags == ("css",)
    assert extraction.unknown == ("Poterie Artisanale", "macramé")


def test_unknown_words_are_not_repeated(taxonomy: Taxonomy) -> None:
    assert taxonomy.extract("macramé, Macramé et MACRAMÉ").unknown == ("macramé",)


def test_fillers_are_not_unknown(taxonomy: Taxonomy) -> None:
    text = "Bonjour, je suis disponible le weekend et j'aime bien aider, I can help a bit"
    assert taxonomy.extract(text) == Extraction((), ())


def test_empty_text(taxonomy: Taxonomy) -> None:
    assert taxonomy.extract("") == Extraction((), ())


# -- normalise ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Réseaux sociaux", "reseaux_sociaux", "Social networks", "reseaux-sociaux", "RESEAUX SOCIAUX"],
)
def test_normalise_catalogue_names(taxonomy: Taxonomy, name: str) -> None:
    assert taxonomy.normalise(name) == ("reseaux-sociaux", True)


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("Gestion de projet", "gestion-de-projet"),
        ("Hébergement e-mail", "hebergement-email"),
        ("Bases de données", "bases-de-donnees"),
        ("Fonts", "polices"),
        ("Droit", "droit"),
        ("Administration système", "administration-systeme"),
        ("Traduction", "traduction"),
        ("English", "anglais"),
    ],
)
def test_normalise_labels_and_aliases(taxonomy: Taxonomy, name: str, tag: str) -> None:
    assert taxonomy.normalise(name) == (tag, True)


@pytest.mark.parametrize(("name", "tag"), [("C++", "c-cpp"), ("C#", "dotnet")])
def test_normalise_names_with_symbols(taxonomy: Taxonomy, name: str, tag: str) -> None:
    assert taxonomy.normalise(name) == (tag, True)


def test_normalise_unknown_name_gives_its_slug(taxonomy: Taxonomy) -> None:
    assert taxonomy.normalise("Macramé avancé") == ("macrame-avance", False)


def test_normalise_two_skills_is_not_one_tag(taxonomy: Taxonomy) -> None:
    assert taxonomy.normalise("CSS et Python") == ("css-et-python", False)


# -- labels, specificity --------------------------------------------------------------


def test_labels(taxonomy: Taxonomy) -> None:
    assert taxonomy.label("reseaux-sociaux", "fr") == "Réseaux sociaux"
    assert taxonomy.label("reseaux-sociaux", "en") == "Social media"
    assert taxonomy.label("reseaux-sociaux", "fr-FR") == "Réseaux sociaux"


def test_unknown_tag_is_its_own_label(taxonomy: Taxonomy) -> None:
    assert taxonomy.label("macrame", "fr") == "macrame"


def test_broad_tags_are_less_specific(taxonomy: Taxonomy) -> None:
    assert taxonomy.specificity("informatique") < taxonomy.specificity("python")
    assert taxonomy.specificity("python") >= 1.0
    assert taxonomy.specificity("no-such-tag") == 1.0


def test_get(taxonomy: Taxonomy) -> None:
    skill = taxonomy.get("css")
    assert isinstance(skill, Skill)
    assert skill.label("en") == "CSS"
    assert taxonomy.get("no-such-tag") is None


# -- the taxonomy file ----------------------------------------------------------------


def test_default_is_cached(taxonomy: Taxonomy) -> None:
    assert Taxonomy.default() is taxonomy


def test_at_least_80_tags(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.tags) >= 80


def test_required_tags_exist(taxonomy: Taxonomy) -> None:
    assert set(REQUIRED_TAGS) <= taxonomy.tags


def test_every_tag_is_a_slug(taxonomy: Taxonomy) -> None:
    for tag in taxonomy.tags:
        assert tag == slugify(tag)
        assert tag.isascii()


def test_every_tag_has_labels_and_aliases(taxonomy: Taxonomy) -> None:
    for skill in taxonomy.skills:
        assert skill.label_fr.strip() and skill.label_en.strip(), skill.tag
        assert skill.aliases, skill.tag


def test_every_alias_finds_its_tag(taxonomy: Taxonomy) -> None:
    wrong = {}
    for skill in taxonomy.skills:
        for alias in skill.aliases:
            found = tags(taxonomy, alias.removeprefix("="))
            if not found or found[0] != skill.tag:
                wrong[alias] = (skill.tag, found)
    assert wrong == {}


def test_no_alias_leads_to_two_tags(taxonomy: Taxonomy) -> None:
    owners: dict[str, set[str]] = {}
    for skill in taxonomy.skills:
        for alias in skill.aliases:
            owners.setdefault(fold_letters(alias.removeprefix("=")), set()).add(skill.tag)
    assert {alias: found for alias, found in owners.items() if len(found) > 1} == {}


def test_loader_refuses_an_alias_of_two_tags() -> None:
    data = {
        "skills": [
            {"tag": "css", "fr": "CSS", "en": "CSS", "aliases": ["css", "feuilles de style"]},
            {"tag": "html", "fr": "HTML", "en": "HTML", "aliases": ["html", "feuille de style"]},
        ]
    }
    with pytest.raises(ValueError, match="feuille de style"):
        Taxonomy.from_mapping(data)


@pytest.mark.parametrize(
    "entry",
    [
        {"tag": "Not A Slug", "fr": "x", "en": "x", "aliases": ["x"]},
        {"tag": "nolabel", "fr": "", "en": "x", "aliases": ["x"]},
        {"tag": "noalias", "fr": "x", "en": "x", "aliases": []},
        {"tag": "badimply", "fr": "x", "en": "x", "aliases": ["x"], "implies": ["nothing"]},
        {"tag": "badweight", "fr": "x", "en": "x", "aliases": ["x"], "weight": 0},
    ],
)
def test_loader_refuses_bad_entries(entry: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Taxonomy.from_mapping({"skills": [entry]})


def test_from_file(tmp_path: Path) -> None:
    path = tmp_path / "skills.yaml"
    path.write_text(
        "skills:\n  - {tag: tricot, fr: Tricot, en: Knitting, aliases: [tricot, knitting]}\n",
        encoding="utf-8",
    )
    assert Taxonomy.from_file(path).extract("I love knitting").tags == ("tricot",)


def test_implied(taxonomy: Taxonomy) -> None:
    assert taxonomy.implied("mastodon") == ("fediverse", "reseaux-sociaux")
    assert taxonomy.implied("anglais") == ()


def test_from_mapping_small_taxonomy() -> None:
    small = Taxonomy.from_mapping(
        {
            "skills": [
                {"tag": "web", "fr": "Web", "en": "Web", "aliases": ["web"], "broad": True},
                {
                    "tag": "wordpress",
                    "fr": "WordPress",
                    "en": "WordPress",
                    "aliases": ["wordpress"],
                    "implies": ["web"],
                    "weight": 2,
                },
            ]
        }
    )
    assert small.extract("du WordPress et du tricot") == Extraction(
        ("wordpress", "web"), ("tricot",)
    )
    assert small.specificity("web") == 0.5
    assert small.specificity("wordpress") == 2.0


# -- helpers --------------------------------------------------------------------------


def test_fold() -> None:
    assert fold_letters("Réseaux Œuvre ÉTÉ") == "reseaux oeuvre ete"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Réseaux sociaux", "reseaux-sociaux"),
        ("reseaux_sociaux", "reseaux-sociaux"),
        ("  Hébergement   e-mail!! ", "hebergement-e-mail"),
        ("", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


# -- no false positives ---------------------------------------------------------------

ORDINARY = [
    # French sentences a volunteer or a member of staff could write without naming a skill
    "Bonjour, je m'appelle Camille et je voudrais vous aider",
    "Je suis disponible le mardi soir et parfois le samedi matin",
    "J'ai entendu parler de l'association par une amie",
    "Je suis à la retraite depuis deux ans et j'ai du temps libre",
    "Merci beaucoup pour votre réponse rapide",
    "Est-ce que je peux venir à la prochaine réunion ?",
    "Je trouve votre combat très important pour la démocratie",
    "Mon fils m'a conseillé de vous écrire",
    "Je ne sais pas trop ce que je peux apporter mais je suis motivée",
    "Je travaille à temps partiel dans une boulangerie",
    "J'habite à Lyon mais je peux me déplacer à Paris",
    "Nous avons reçu votre message et nous vous répondrons bientôt",
    "La réunion de jeudi est reportée à la semaine prochaine",
    "Pouvez-vous me rappeler demain après-midi ?",
    "Je suis étudiante en deuxième année",
    "J'aime la randonnée en montagne, la cuisine et le jardinage",
    "Ils font partie de la famille depuis longtemps",
    "C'est une excellente idée, je suis partant",
    "Je n'ai pas beaucoup d'expérience mais j'apprends vite",
    "Quelle est la date limite pour s'inscrire ?",
    "J'ai lu l'article dans le journal ce matin",
    "Le programme de la journée sera envoyé plus tard",
    "Il faut respecter les délais, c'est une question de confiance",
    "Je suis très curieux et j'aime rendre service",
    "Mes enfants sont grands maintenant, j'ai plus de temps",
    "Je peux donner un coup de main ponctuellement",
    "Je préfère les tâches calmes, à mon rythme",
    "Bonne journée à toute l'équipe",
    "Je suis arrivée en France il y a trois ans",
    "Nous cherchons une salle pour la fête de fin d'année",
    "La réduction d'impôt est une bonne nouvelle",
    "Le discours du président était long",
    "Sa posture était étrange pendant la réunion",
    "Elle a une belle voix et chante dans une chorale",
    "Il pleut beaucoup cette semaine en Bretagne",
    "Je vous remercie de votre patience",
    "À bientôt, et bon courage pour la suite",
    "J'ai été infirmière pendant vingt ans à l'hôpital",
    "Je cuisine volontiers pour les événements conviviaux",
    "Mon vélo est en panne depuis hier",
    # English
    "Hello, my name is Sam and I would like to help",
    "I am available on weekends and some evenings",
    "I heard about your organisation from a friend",
    "Thank you very much for your quick reply",
    "Could we schedule a call next week?",
    "I think your work is really important",
    "I am retired and have a lot of free time",
    "Sorry for the late answer, I was travelling",
    "I love hiking, cooking and gardening",
    "My daughter told me about you",
    "I am not sure what I can bring but I am motivated",
    "I live in Brussels and commute to work by train",
    "Please let me know how I can contribute",
    "I read the news this morning and wanted to reach out",
    "The meeting has been moved to Thursday",
    "I have a cat and two children",
    "Looking forward to hearing from you",
    "I used to be a nurse for many years",
    "I can react quickly when something urgent happens",
    "We should keep the reaction calm and measured",
    "Best regards and good luck",
    "I studied history at university",
    "I enjoy reading novels and playing the piano",
    "What time does the event start?",
    "She is a former baker now working in a bookshop",
    "They will react to the news tomorrow",
]

ORDINARY_WORDS = words(
    """
    maison voiture pomme table chaise fenêtre porte jardin chat chien ville pays montagne
    rivière soleil pluie neige hiver printemps été automne lundi mardi mercredi jeudi vendredi
    samedi dimanche matin soir nuit famille enfant parent ami amie voisin travail vacances
    cuisine repas pain fromage vin café thé sucre lait beurre chocolat gâteau restaurant
    boulangerie marché magasin argent prix banque poste gare train avion bateau vélo musique
    chanson danse théâtre cinéma livre roman poème histoire géographie science médecine hôpital
    docteur infirmière santé sport football tennis natation course marche randonnée jardinage
    bricolage couture tricot peinture poterie patience courage confiance liberté justice vérité
    courrier réunion rendez-vous semaine mois année heure minute moment toujours jamais souvent
    bientôt demain hier aujourd'hui ensemble beaucoup vraiment house car apple chair window door
    garden cat dog city country mountain river sun rain snow winter spring summer autumn monday
    tuesday friday morning evening night family child friend neighbour holiday kitchen meal
    bread cheese wine coffee tea sugar milk butter cake shop market money price bank station
    plane boat bicycle music song dance theatre movie book novel poem history science medicine
    hospital doctor nurse health football swimming walking hiking gardening sewing knitting
    painting pottery patience courage trust freedom justice truth meeting week month hour minute
    always never often soon tomorrow yesterday today together really happy sad tired busy quick
    slow beautiful reaction production mountain person caution treasure trailer posture
    reduction introduction programme
    """
)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_give_no_tag(taxonomy: Taxonomy, text: str) -> None:
    assert tags(taxonomy, text) == ()


def test_ordinary_words_give_no_tag(taxonomy: Taxonomy) -> None:
    assert len(ORDINARY_WORDS) >= 100
    assert {word: tags(taxonomy, word) for word in ORDINARY_WORDS if tags(taxonomy, word)} == {}


# -- properties -----------------------------------------------------------------------

WEIRD = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            list("\u202e\u202d\u200f\u200e\u2066\u2069\u200b\u00a0\u0301·.'’()-/#+")
            + list(string.ascii_letters)
            + ["\x00", "\x1b", "\r", "\t"]
        ),
    ),
    max_size=300,
)
WORDS = st.lists(
    st.sampled_from(
        ["css", "Réseaux", "sociaux", "l'", "traduis", "wordpres", "·rice", "macramé", "de", "&"]
    ),
    max_size=40,
).map(" ".join)


def check(taxonomy: Taxonomy, text: str) -> None:
    extraction = taxonomy.extract(text)
    assert set(extraction.tags) <= taxonomy.tags
    assert len(set(extraction.tags)) == len(extraction.tags)
    assert all(phrase and phrase in text for phrase in extraction.unknown)


@given(text=WEIRD)
@settings(max_examples=300, deadline=None)
def test_extract_never_raises_on_arbitrary_text(text: str) -> None:
    check(Taxonomy.default(), text)


@given(text=WORDS)
@settings(max_examples=200, deadline=None)
def test_extract_on_skill_like_text_gives_known_tags(text: str) -> None:
    check(Taxonomy.default(), text)


@given(fragment=WEIRD.filter(bool))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_extract_handles_10000_characters(fragment: str) -> None:
    text = (fragment * (10_000 // len(fragment) + 1))[:10_000]
    check(Taxonomy.default(), text)


@given(name=WEIRD)
@settings(max_examples=200, deadline=None)
def test_normalise_never_raises(name: str) -> None:
    tag, known = Taxonomy.default().normalise(name)
    assert (tag in Taxonomy.default().tags) if known else tag == slugify(name)


# -- job titles, proper names, homonyms -------------------------------------------------


def test_every_job_title_finds_exactly_its_skills(taxonomy: Taxonomy) -> None:
    wrong = {}
    for role in taxonomy.roles:
        for title in role.titles:
            found = tuple(t for m in taxonomy.scan(title).mentions for t in m.tags)
            if found != role.skills:
                wrong[title] = (role.skills, found)
    assert wrong == {}


def test_roles_cover_tech_design_communication_law_and_associations(taxonomy: Taxonomy) -> None:
    covered = {tag for role in taxonomy.roles for tag in role.skills}
    for tag in ("developpement", "devops", "design-ux", "recherche-utilisateur", "communication",
                "relations-presse", "droit", "rgpd", "collecte-de-fonds", "plaidoyer",
                "comptabilite"):  # fmt: skip
        assert tag in covered
    assert sum(len(role.titles) for role in taxonomy.roles) >= 150


@pytest.mark.parametrize(
    "data",
    [
        {"roles": [{"titles": ["tricoteuse"], "skills": ["nothing"]}]},
        {"roles": [{"titles": [], "skills": ["css"]}]},
        {"roles": [{"titles": ["css"], "skills": ["html"]}]},  # an alias of another skill
        {"proper_names": {"Sass": "nothing"}},
        {"homonyms": [{"words": [], "near": ["x"]}]},
        {"homonyms": [{"words": ["css"], "window": 0}]},
    ],
)
def test_loader_refuses_bad_roles_names_and_homonyms(data: dict[str, object]) -> None:
    skills = [
        {"tag": "css", "fr": "CSS", "en": "CSS", "aliases": ["css"]},
        {"tag": "html", "fr": "HTML", "en": "HTML", "aliases": ["html"]},
    ]
    with pytest.raises(ValueError):
        Taxonomy.from_mapping({"skills": skills, **data})


def test_a_small_taxonomy_with_a_role_a_proper_name_and_a_homonym() -> None:
    small = Taxonomy.from_mapping(
        {
            "skills": [
                {"tag": "tricot", "fr": "Tricot", "en": "Knitting", "aliases": ["tricot"]},
                {"tag": "couture", "fr": "Couture", "en": "Sewing", "aliases": ["couture"]},
            ],
            "roles": [{"titles": ["modiste"], "skills": ["tricot", "couture"]}],
            "proper_names": {"Singer": "couture"},
            "homonyms": [{"words": ["couture"], "near": ["haute"], "window": 1}],
        }
    )
    assert small.extract("modiste à Lyon").tags == ("tricot", "couture")
    assert small.extract("ma machine Singer").tags == ("couture",)
    assert small.extract("Singer, c'est ma machine").tags == ()
    assert small.extract("la haute couture") == Extraction((), ("haute couture",))
