"""Skills taxonomy: canonical tags, and finding them (and job titles) in what people write."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from commands.text import fold_letters

__all__ = ["Extraction", "Mention", "Scan", "Skill", "Taxonomy", "slugify"]

DATA_FILE = "data/skills.yaml"
ROLES_FILE = "data/roles.yaml"
BROAD_WEIGHT = 0.5
MIN_TYPO_LENGTH = 5  # shorter words are never typo-corrected
LONG_WORD = 7  # shorter words are only corrected for two swapped letters
MAX_PHRASE_WORDS = 3  # an unknown phrase is at most this many words
EXACT_ONLY = "="  # alias prefix: match as written, no plural folding, no typo tolerance

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# A word: letters and digits, combining accents (text in NFD), a "++" or "#" for C++ and C#.
_WORD = r"[^\W_]++(?:[\u0300-\u036f]++[^\W_]*+)*+(?:(?=[+#])(?:\+\+|#))?"
# Inclusive writing after a word, dropped: traducteur·rice·s, développeur.se, acteur(rice)s.
_GENDER = (
    r"(?i:e|es|s|se|ses|euse|euses|rice|rices|trice|trices|ice|ices"
    r"|ne|nes|le|les|ve|ves|fe|fes|x|ere|eres|ère|ères)"
)
_INCLUSIVE = rf"(?:[·•‧⋅∙./-]{_GENDER}(?![^\W_]))+|\({_GENDER}\)s?"
_TOKEN = re.compile(rf"({_WORD})(?:(?=[·•‧⋅∙./(-])(?:{_INCLUSIVE}))?")
_SYMBOLS = re.compile(r"[+#]")  # C++ and C# lose them in a slug: never look those up by slug
_PHRASE_GAP = re.compile(r"[ \t\u00a0\u202f-]+")
_SENTENCE_END = re.compile(r"[.!?;…\n]")
# Never inside a phrase ("web, analytics" is two things); a dot only ends one before a space
# ("Node.js" is one word, "le web. Analytics" two).
_LIST_BREAK = re.compile(r"[,;:!?…()\[\]\n]|\.\s")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS = _words(
    """
    a à ai aie aient aies ait alors as au aucun aucune aujourd aupres auquel aussi autre autres
    aux avaient avais avait avant avec avez aviez avoir avons ayant bah beaucoup ben bien bon
    bonne bonjour bonsoir bref ca ça car ce ceci cela celle celles celui cependant certain
    certaine certains ces cet cette ceux chacun chaque chez ci comme comment concernant
    cordialement coucou d dans de debut dedans dehors deja depuis des desormais dessus deux
    devant devrais doit donc dont du durant elle elles en encore entre envie environ es est et
    etaient etais etait etant ete etes etre eu eux fais faisais fait faite faites faire fin fois
    font hui ici il ils j jamais je jusqu l la le les leur leurs lors lorsqu lui m ma mais mal
    me meme mes moi moins mon n ne ni non nos notre nous on ont or ou oui par parce parfois pas
    peu peut peuvent peux plus plusieurs pour pourquoi pourrais pourrait pouvez pouvons puis
    puisqu qu quand que quel quelle quelles quels quelque quelques qui quoi s sa sans sais sait
    salut sans se selon ses si sinon soit sommes son sont souvent suis sur surtout t ta tant te
    tes toi ton toujours tous tout toute toutes tres trop tu un une unes uns v va vais vers via
    voici voila vont vos votre vous vraiment y actuellement ailleurs ainsi apres assez aide
    aider aiderais aimer aime aimerais adore apprendre appris annee annees ans an apporter bases
    base besoin benevole benevolat bonnes cherche chercher chose choses competence competences
    connais connait connaissance connaissances connaitre contribuer coup dispo disponible
    disponibilite domaine domaines donner donne ensuite enfin etc experience experiences exemple
    faciliter facilement gens gros heure heures idee jour jours maitrise maitriser matin merci
    metier mieux mois niveau notamment notion notions occupe parle parler participer passionne
    plutot pratique pratiquer pro professionnel professionnelle projet projets propose
    proposer quelqu rien semaine semaines soir soirs souhaite souhaiterais temps travail
    travaille travailler truc trucs utilise utiliser veux voudrais vouloir week weekend francais
    francaise volontiers association associations asso mission missions motive motivee interesse
    interessee super genre petit petite grand grande nouveau nouvelle vie an about
    after again all also am an and any are as at be been before being both but by can could did
    do does doing done don each else etc even ever few for from get got had has have having he
    her here hers him his how i if in into is isn it its just know knows like little lot lots
    made make many may me might more most much must my no nor not now of off often on once only
    or other our out over own please quite rather really s same she should so some still such t
    than thank thanks that the their them then there these they thing things this those through
    to too under until up us use used using ve very want was we well were what when where which
    while who whom why will with would yes you your ll m re d doesn didn basic basics bit
    experienced experience fluent good great help helping hello hi hey interested knowledge
    level native skill skills speak speaking work working worked year years free time available
    happy able love enjoy french volunteer volunteering
    pendant maintenant hier demain egalement lanceur lanceurs lanceuse lanceuses alerte alertes
    bidouille bidouiller ponctuel ponctuelle ponctuellement regulier reguliere regulierement
    recurrent recurrente recurring one off oneoff occasionnel occasionnelle occasionnellement
    lundi mardi mercredi jeudi vendredi samedi dimanche midi soiree soirees distance distanciel
    presentiel monday tuesday wednesday thursday friday saturday sunday weekends evening
    evenings hour hours week weeks month months remote regards best salutations
    sous code mail mails email emails courriel courriels
    """
)


@dataclass(frozen=True)
class Extraction:
    """What was understood in a free text: canonical tags, and words that were not."""

    tags: tuple[str, ...]
    unknown: tuple[str, ...]


class Mention(NamedTuple):
    """Words `first` to `last` (included) name these tags: one skill, or a job title's."""

    first: int
    last: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Scan:
    """A text read for skills: its words, where skills are named, and what was not known."""

    words: Words
    mentions: tuple[Mention, ...]
    unknown: tuple[str, ...]

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags named, in order of first mention (implied ones not included)."""
        return tuple(dict.fromkeys(tag for mention in self.mentions for tag in mention.tags))


@dataclass(frozen=True)
class Skill:
    """One canonical tag of the taxonomy."""

    tag: str
    label_fr: str
    label_en: str
    aliases: tuple[str, ...]
    broad: bool = False
    implies: tuple[str, ...] = ()
    weight: float | None = None  # explicit specificity; None: 0.5 when broad, else 1.0
    covers: tuple[str, ...] = ()  # refusing this tag refuses these too ("no computing at all")

    def label(self, language: str) -> str:
        """The label in "fr" (any French locale) or else English."""
        return self.label_fr if language.casefold().startswith("fr") else self.label_en

    @property
    def specificity(self) -> float:
        """How much sharing this skill says about a match (> 0, broad skills less)."""
        if self.weight is not None:
            return self.weight
        return BROAD_WEIGHT if self.broad else 1.0


def slugify(text: str) -> str:
    """Lowercase ASCII slug: accents stripped, anything else than a-z0-9 becomes one '-'."""
    return _NOT_SLUG.sub("-", fold_letters(text)).strip("-")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("eaux"):
        return word[:-1]
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) > 3 and word.endswith("eux"):
        return word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _masculine(word: str) -> str:
    if len(word) > 6 and word.endswith("trice"):
        return word[:-5] + "teur"
    if len(word) > 5 and word.endswith("euse"):
        return word[:-4] + "eur"
    if len(word) > 6 and word.endswith("ienne"):
        return word[:-2]
    return word


@functools.lru_cache(maxsize=65536)
def _analyse(word: str) -> tuple[str, str, bool, bool]:
    """A word's folded form, its key (plural and feminine endings folded too), whether it
    has two letters or more, and whether it is long and plain enough to be a typo."""
    folded = fold_letters(word)
    letters = sum(char.isalpha() for char in folded)
    typo_prone = len(folded) >= MIN_TYPO_LENGTH and letters == len(folded)
    return folded, _masculine(_singular(folded)), letters >= 2, typo_prone


class Words:
    """The words of a text, with where they are and how they are matched."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.matches = list(_TOKEN.finditer(text))
        self.analysed = [_analyse(match[1]) for match in self.matches]
        self.folds = [word[0] for word in self.analysed]
        self.keys = [word[1] for word in self.analysed]
        self.corrected: list[str | None] = [None] * len(self.matches)

    def __len__(self) -> int:
        return len(self.matches)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Where words first to last (included) are in the text."""
        return self.matches[first].start(), self.matches[last].end()

    def gap_before(self, i: int) -> str:
        """What separates word i from the word before it (the text's start for the first)."""
        start = self.matches[i - 1].end() if i else 0
        return self.text[start : self.matches[i].start()]

    def starts_sentence(self, i: int) -> bool:
        return i == 0 or _SENTENCE_END.search(self.gap_before(i)) is not None


class _Unknown:
    """Collects unknown words, joining neighbours into short phrases as written."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, tuple[str, int, int]] = {}  # folded → (as written, start, end)
        self.run: list[tuple[int, int]] = []
        self.covered = 0  # text before this offset is already in a reported phrase

    def add(self, span: tuple[int, int]) -> None:
        if span[1] <= self.covered:
            return
        if self.run and (
            len(self.run) >= MAX_PHRASE_WORDS
            or not _PHRASE_GAP.fullmatch(self.text, self.run[-1][1], span[0])
        ):
            self.close()
        self.run.append(span)

    def add_phrase(self, span: tuple[int, int]) -> None:
        """A phrase reported whole; words of it reported before go into it."""
        self.close()
        self.found = {
            key: found
            for key, found in self.found.items()
            if not span[0] <= found[1] < found[2] <= span[1]
        }
        self.run.append(span)
        self.close()
        self.covered = max(self.covered, span[1])

    def close(self) -> None:
        if self.run:
            start, end = self.run[0][0], self.run[-1][1]
            phrase = self.text[start:end]
            self.found.setdefault(fold_letters(phrase), (phrase, start, end))
            self.run = []

    def result(self) -> tuple[str, ...]:
        self.close()
        return tuple(phrase for phrase, _, _ in self.found.values())


@dataclass(frozen=True)
class Role:
    """A job title or role, and the skills it stands for ("product designer" → UX design)."""

    titles: tuple[str, ...]
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Guard:
    """Words that name a skill except in some company: "sécurité" beside "incendie" is fire
    safety, "serveur" beside "restaurant" serves tables, "chez un hébergeur" is an employer."""

    words: frozenset[str]  # folded words (plurals and feminines folded too)
    near: frozenset[str] = frozenset()  # any of these on either side, within `window` words
    before: frozenset[str] = frozenset()  # any of these before, within `window` words
    after: frozenset[str] = frozenset()  # any of these after, within `window` words
    window: int = 3

    @functools.cached_property
    def company(self) -> frozenset[str]:
        """Every word that may give the homonym away, wherever it stands."""
        return self.near | self.before | self.after


class Taxonomy:
    """The canonical skills, their aliases, and extraction of tags from free text."""

    def __init__(
        self,
        skills: Iterable[Skill],
        *,
        not_skills: Iterable[str] = (),
        stop_words: Iterable[str] = (),
        not_typos: Iterable[str] = (),
        roles: Iterable[Role] = (),
        proper_names: Mapping[str, str] | None = None,
        guards: Iterable[Guard] = (),
    ) -> None:
        self._skills: dict[str, Skill] = {}
        for skill in skills:
            _check_skill(skill, self._skills)
            self._skills[skill.tag] = skill
        self._closure = {tag: _implied(tag, self._skills) for tag in self._skills}
        for skill in self._skills.values():
            _check_tags(skill.covers, self._skills, f"what {skill.tag!r} covers")
        self._stop = frozenset(fold_letters(word) for word in (*STOP_WORDS, *stop_words))
        self._not_typos = frozenset(fold_letters(word) for word in not_typos)
        self._exact: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._reduced: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._vocab: dict[str, str] = {}
        self._word_tags: dict[str, tuple[str, ...]] = {}  # a one-word alias's key → its tags
        for skill in self._skills.values():
            for alias in skill.aliases:
                self._add_alias(alias, (skill.tag,))
        for phrase in not_skills:
            self._add_alias(phrase, ())
        self._roles = tuple(roles)
        for role in self._roles:
            _check_tags(role.skills, self._skills, f"role {role.titles[:1]}")
            for title in role.titles:  # titles are common words: never typo targets
                self._add_alias(title, role.skills, typos=False)
        self._proper = dict(proper_names or {})
        self._proper_folds = frozenset(fold_letters(name) for name in self._proper)
        _check_tags(self._proper.values(), self._skills, "proper names")
        self._guards: dict[str, list[Guard]] = {}
        for guard in guards:
            for word in guard.words:
                self._guards.setdefault(word, []).append(guard)
        self._starts = _starts(self._exact, self._reduced)
        self._names = _names(self._skills)
        self._correct = functools.lru_cache(maxsize=16384)(self._correct_uncached)
        self._candidates = functools.lru_cache(maxsize=4096)(self._candidates_uncached)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def default(cls) -> Taxonomy:
        """The taxonomy shipped with the package, with its roles (loaded once)."""
        return _default_taxonomy()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Taxonomy:
        """Build from the parsed YAML layout (see the headers of data/skills.yaml and
        data/roles.yaml, whose `roles` may be merged in)."""
        entries = data.get("skills")
        if not isinstance(entries, list):
            raise ValueError("taxonomy: 'skills' must be a list")
        proper = data.get("proper_names") or {}
        if not isinstance(proper, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in proper.items()
        ):
            raise ValueError("taxonomy: 'proper_names' must map names to tags")
        return cls(
            (_skill_from_entry(entry) for entry in entries),
            not_skills=_strings(data, "not_skills"),
            stop_words=_strings(data, "stop_words"),
            not_typos=_strings(data, "not_typos"),
            roles=[_role_from_entry(entry) for entry in _entries(data, "roles")],
            proper_names=proper,
            guards=[_guard_from_entry(entry) for entry in _entries(data, "homonyms")],
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        """Build from a YAML file laid out like data/skills.yaml."""
        return cls.from_mapping(load_yaml(Path(path).read_text(encoding="utf-8")))

    def _add_alias(self, alias: str, tags: tuple[str, ...], *, typos: bool = True) -> None:
        exact_only = alias.startswith(EXACT_ONLY)
        words = Words(alias.removeprefix(EXACT_ONLY))
        if not words.folds:
            raise ValueError(f"taxonomy: alias {alias!r} of {tags!r} has no word")
        exact, reduced = tuple(words.folds), tuple(words.keys)
        _register(self._exact, exact, tags, alias, self._reduced)
        ambiguous = len(reduced) == 1 and reduced != exact and reduced[0] in self._stop
        if exact_only or ambiguous:
            return
        _register(self._reduced, reduced, tags, alias, self._exact)
        if len(reduced) == 1 and tags:
            self._word_tags.setdefault(reduced[0], tags)
        if not typos:
            return
        for folded, key in zip(exact, reduced, strict=True):
            if len(key) >= MIN_TYPO_LENGTH and folded.isalpha():
                self._vocab.setdefault(folded, key)
                self._vocab.setdefault(key, key)

    # -- queries --------------------------------------------------------------------

    @property
    def tags(self) -> frozenset[str]:
        """Every canonical tag."""
        return frozenset(self._skills)

    @property
    def skills(self) -> tuple[Skill, ...]:
        """Every skill, in the order of the file."""
        return tuple(self._skills.values())

    @property
    def roles(self) -> tuple[Role, ...]:
        """Every job title group, in the order of the file."""
        return self._roles

    def __contains__(self, tag: object) -> bool:
        return tag in self._skills

    def __len__(self) -> int:
        return len(self._skills)

    def get(self, tag: str) -> Skill | None:
        """The skill of a canonical tag, or None."""
        return self._skills.get(tag)

    def label(self, tag: str, language: str) -> str:
        """A tag's label in a language ("fr" or "en"); an unknown tag is its own label."""
        skill = self._skills.get(tag)
        return skill.label(language) if skill else tag

    def specificity(self, tag: str) -> float:
        """How much a shared tag says about a match: broad tags less, unknown tags 1.0."""
        skill = self._skills.get(tag)
        return skill.specificity if skill else 1.0

    def refusal_reach(self, refused: frozenset[str]) -> frozenset[str]:
        """The tags a set of refusals turns down: each refused tag, and what a refused broad
        tag covers ("nul en informatique" turns down servers, code and digital workshops)."""
        covered = [t for tag in refused if (skill := self._skills.get(tag)) for t in skill.covers]
        return refused.union(covered)

    def implied(self, tag: str) -> tuple[str, ...]:
        """The tags that come with a tag (transitively), without the tag itself."""
        return self._closure.get(tag, ())

    # -- extraction -----------------------------------------------------------------

    def extract(self, text: str) -> Extraction:
        """Canonical tags found in free text (first mention first, implied ones last)."""
        scan = self.scan(text)
        explicit = scan.tags
        found = dict.fromkeys(explicit)
        for tag in explicit:
            found.update(dict.fromkeys(t for t in self._closure[tag] if t not in found))
        return Extraction(tuple(found), scan.unknown)

    def normalise(self, name: str) -> tuple[str, bool]:
        """A catalogue-style skill name as a canonical tag, and whether it was known."""
        slug = slugify(name)
        tag = self._names.get(slug) or self._names.get(slug.replace("-", ""))
        if tag:
            return tag, True
        scan = self.scan(name)
        explicit = scan.tags
        if len(explicit) == 1 and not scan.unknown:
            return explicit[0], True
        return slug, False

    def scan(self, text: str) -> Scan:
        """Where skills (or job titles) are named, in order, and the unknown words."""
        words = Words(text)
        mentions: list[Mention] = []
        unknown = _Unknown(text)
        i = 0
        starts, analysed, count = self._starts, words.analysed, len(words)
        while i < count:
            folded, key, _, typo_prone = analysed[i]
            if folded in starts or key in starts or typo_prone:
                length, tags = self._match_at(words, i)
            else:  # most short words start no alias and are never typos
                length, tags = 0, ()
            if not length and folded in self._proper_folds:
                proper = self._proper.get(words.matches[i][1])
                if proper and not words.starts_sentence(i):
                    length, tags = 1, (proper,)
            if length and tags:
                context = self._guarded(words, i, i + length - 1, mentions)
                if context is None:
                    mentions.append(Mention(i, i + length - 1, tags))
                    unknown.close()
                else:  # a homonym: report it with the word that gave it away, then read on
                    first, last = min(i, context), max(i + length - 1, context)
                    unknown.add_phrase(words.span(first, last))
            elif length:  # a phrase that looks like a skill but is not one
                unknown.add_phrase(words.span(i, i + length - 1))
            elif self._meaningful(words.analysed[i]):
                unknown.add(words.span(i, i))
            elif unknown.run:
                unknown.close()
            i += length or 1
        return Scan(words, tuple(mentions), unknown.result())

    def _guarded(
        self, words: Words, first: int, last: int, before: Sequence[Mention]
    ) -> int | None:
        """The word near words first..last that makes them a homonym, if any. A word naming a
        skill itself is no `near` company ("réseau social ni audit de sécurité"), but may
        still be the verb `before` ("I trained journalists")."""
        keys = words.keys
        guards = self._guards
        if first == last:  # most mentions: one word, most of them never a homonym
            if keys[first] not in guards:
                return None
        elif all(keys[p] not in guards for p in range(first, last + 1)):
            return None
        named: set[int] | None = None
        for position in range(first, last + 1):
            for guard in self._guards.get(keys[position], ()):
                low, high = max(0, first - guard.window), min(len(keys), last + guard.window + 1)
                company = guard.company
                if company.isdisjoint(keys[low:high]) and company.isdisjoint(words.folds[low:high]):
                    continue  # nothing around that could make it a homonym
                if named is None:
                    named = {i for m in before[-3:] for i in range(m.first, m.last + 1)}
                for other in range(low, high):
                    if first <= other <= last:
                        continue
                    near = frozenset() if other in named else guard.near
                    wanted = near | (guard.after if other > last else guard.before)
                    if keys[other] not in wanted and words.folds[other] not in wanted:
                        continue
                    between = (
                        range(last + 1, other + 1) if other > last else range(other + 1, first + 1)
                    )
                    if not any(words.starts_sentence(k) for k in between):
                        return other
        return None

    def _match_at(self, words: Words, i: int) -> tuple[int, tuple[str, ...]]:
        """The longest alias starting at word i: (its length in words, its tags) or (0, ())."""
        folds, keys = words.folds, words.keys
        lengths = self._starts.get(folds[i])
        if keys[i] != folds[i]:
            lengths = tuple(
                sorted({*(lengths or ()), *self._starts.get(keys[i], ())}, reverse=True)
            )
        if not lengths and words.analysed[i][3]:
            lengths = self._starts.get(self._corrected(words, i))
        for length in lengths or ():
            end = i + length
            if end > len(folds):
                continue
            if length > 1 and any(
                _LIST_BREAK.search(words.gap_before(j)) for j in range(i + 1, end)
            ):
                continue  # the words of an alias stand together, not across a list's commas
            tags = self._exact.get(tuple(folds[i:end]))
            if tags is None:
                tags = self._reduced.get(tuple(keys[i:end]))
            if tags is None:
                tags = self._reduced.get(tuple(self._corrected(words, j) for j in range(i, end)))
            if tags is not None:
                return length, tags
        return 0, ()

    def _corrected(self, words: Words, i: int) -> str:
        """Word i's key, or the key of the alias word it is a typo of."""
        value = words.corrected[i]
        if value is None:
            folded, key, _, typo_prone = words.analysed[i]
            value = (self._correct(folded, key) if typo_prone else None) or key
            words.corrected[i] = value
        return value

    def _meaningful(self, word: tuple[str, str, bool, bool]) -> bool:
        folded, key, wordlike, _ = word
        return wordlike and folded not in self._stop and key not in self._stop

    # -- typos ----------------------------------------------------------------------

    def _correct_uncached(self, folded: str, key: str) -> str | None:
        """The key of the alias word that a word is a typo of, if exactly one is close."""
        known = (folded, key)
        if any(w in self._vocab or w in self._stop or w in self._not_typos for w in known):
            return None
        for word in dict.fromkeys(known):
            target = self._nearest(word)
            if target:
                return self._vocab[target]
        return None

    def _nearest(self, word: str) -> str | None:
        """The one alias word a word is a typo of: one edit, or a swap for short words."""
        choices = self._candidates(word[0], len(word))
        hits = process.extract(word, choices, scorer=OSA.distance, score_cutoff=1, limit=None)
        close = [choice for choice, _, _ in hits if _plausible_typo(word, choice)]
        keys = {self._vocab[choice] for choice in close}
        one_skill = all(key in self._word_tags for key in keys) and (
            len({self._word_tags[key] for key in keys}) == 1
        )
        if len(keys) > 1 and one_skill:
            return close[0]  # close to two words of one skill: that skill either way
        if len(keys) != 1:
            return None  # nothing close, or as close to two different words: don't guess
        return close[0]

    def _candidates_uncached(self, first: str, length: int) -> tuple[str, ...]:
        return tuple(
            word for word in self._vocab if word[0] == first and abs(len(word) - length) <= 1
        )


def _plausible_typo(word: str, target: str) -> bool:
    """Long words may have any one typo; short ones only two swapped letters."""
    if min(len(word), len(target)) >= LONG_WORD:
        return True
    return sorted(word) == sorted(target)


# -- loading helpers ------------------------------------------------------------------


@functools.cache
def _default_taxonomy() -> Taxonomy:
    package = resources.files(__package__ or "commands")
    data = dict(load_yaml(package.joinpath(DATA_FILE).read_text(encoding="utf-8")))
    data["roles"] = load_yaml(package.joinpath(ROLES_FILE).read_text(encoding="utf-8"))["roles"]
    return Taxonomy.from_mapping(data)


def load_yaml(text: str) -> Mapping[str, Any]:
    """Parse YAML safely, with libyaml when PyYAML has it (ten times faster)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)  # a safe loader either way
    return data if isinstance(data, Mapping) else {}


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    values = data.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"taxonomy: {key!r} must be a list of strings")
    return values


def _entries(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    values = data.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, Mapping) for v in values):
        raise ValueError(f"taxonomy: {key!r} must be a list of mappings")
    return values


def _word_list(entry: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
    values = entry.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"taxonomy: {key!r} of {what} must be a list of strings")
    return tuple(values)


def _role_from_entry(entry: Mapping[str, Any]) -> Role:
    titles = _word_list(entry, "titles", "a role")
    skills = _word_list(entry, "skills", f"role {titles[:1]}")
    if not titles or not skills:
        raise ValueError(f"taxonomy: role {entry!r} needs titles and skills")
    return Role(titles=titles, skills=skills)


def _guard_from_entry(entry: Mapping[str, Any]) -> Guard:
    words = _word_list(entry, "words", "a homonym")
    if not words:
        raise ValueError(f"taxonomy: homonym {entry!r} needs words")
    window = entry.get("window", 3)
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"taxonomy: the window of homonym {words[0]!r} must be a positive number")

    def keys(values: tuple[str, ...]) -> frozenset[str]:
        return frozenset(key for value in values for key in _analyse(value)[:2])

    return Guard(
        words=keys(words),
        near=keys(_word_list(entry, "near", f"homonym {words[0]!r}")),
        before=keys(_word_list(entry, "before", f"homonym {words[0]!r}")),
        after=keys(_word_list(entry, "after", f"homonym {words[0]!r}")),
        window=window,
    )


def _check_tags(tags: Iterable[str], skills: Mapping[str, Skill], what: str) -> None:
    unknown = sorted(set(tags) - set(skills))
    if unknown:
        raise ValueError(f"taxonomy: {what} names unknown tags {unknown}")


def _skill_from_entry(entry: Any) -> Skill:
    if not isinstance(entry, Mapping):
        raise ValueError(f"taxonomy: skill entry {entry!r} is not a mapping")
    tag = entry.get("tag")
    aliases = entry.get("aliases") or []
    implies = entry.get("implies") or []
    covers = entry.get("covers") or []
    if not isinstance(covers, list) or not all(isinstance(t, str) for t in covers):
        raise ValueError(f"taxonomy: covers of {tag!r} must be a list of tags")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValueError(f"taxonomy: aliases of {tag!r} must be a list of strings")
    if not isinstance(implies, list) or not all(isinstance(t, str) for t in implies):
        raise ValueError(f"taxonomy: implies of {tag!r} must be a list of tags")
    broad = entry.get("broad", False)
    weight = entry.get("weight")
    if not isinstance(broad, bool) or not isinstance(weight, int | float | None):
        raise ValueError(f"taxonomy: broad must be true/false and weight a number for {tag!r}")
    return Skill(
        tag=str(tag),
        label_fr=str(entry.get("fr") or ""),
        label_en=str(entry.get("en") or ""),
        aliases=tuple(aliases),
        broad=broad,
        implies=tuple(implies),
        weight=None if weight is None else float(weight),
        covers=tuple(covers),
    )


def _check_skill(skill: Skill, seen: Mapping[str, Skill]) -> None:
    if not skill.tag or slugify(skill.tag) != skill.tag:
        raise ValueError(f"taxonomy: tag {skill.tag!r} is not a lowercase ASCII slug")
    if skill.tag in seen:
        raise ValueError(f"taxonomy: tag {skill.tag!r} appears twice")
    if not skill.label_fr or not skill.label_en:
        raise ValueError(f"taxonomy: {skill.tag!r} needs a French and an English label")
    if not skill.aliases:
        raise ValueError(f"taxonomy: {skill.tag!r} needs at least one alias")
    if skill.specificity <= 0:
        raise ValueError(f"taxonomy: the weight of {skill.tag!r} must be > 0")


def _implied(tag: str, skills: Mapping[str, Skill]) -> tuple[str, ...]:
    """Every tag implied by a tag, transitively, in declaration order."""
    result: dict[str, None] = {}
    pending = list(skills[tag].implies)
    while pending:
        other = pending.pop(0)
        if other not in skills:
            raise ValueError(f"taxonomy: {tag!r} implies unknown tag {other!r}")
        if other != tag and other not in result:
            result[other] = None
            pending.extend(skills[other].implies)
    return tuple(result)


def _register(
    table: dict[tuple[str, ...], tuple[str, ...]],
    words: tuple[str, ...],
    tags: tuple[str, ...],
    alias: str,
    other_table: Mapping[tuple[str, ...], tuple[str, ...]],
) -> None:
    for existing in (table.get(words), other_table.get(words)):
        if existing is not None and existing != tags:
            raise ValueError(
                f"taxonomy: alias {alias!r} leads to {_named(tags)} and to {_named(existing)}"
            )
    table[words] = tags


def _named(tags: tuple[str, ...]) -> str:
    return repr(", ".join(tags)) if tags else "'no skill'"


def _starts(*tables: Mapping[tuple[str, ...], tuple[str, ...]]) -> dict[str, tuple[int, ...]]:
    """For each word that starts an alias, the lengths of those aliases, longest first."""
    lengths: dict[str, set[int]] = {}
    for table in tables:
        for words in table:
            lengths.setdefault(words[0], set()).add(len(words))
    return {word: tuple(sorted(found, reverse=True)) for word, found in lengths.items()}


def _names(skills: Mapping[str, Skill]) -> dict[str, str]:
    """Slugs (and slugs without dashes) of tags, then labels, then aliases → tag."""
    names: dict[str, str] = {}
    layers = (
        lambda s: [s.tag],
        lambda s: [s.label_fr, s.label_en],
        lambda s: [a.removeprefix(EXACT_ONLY) for a in s.aliases if not _SYMBOLS.search(a)],
    )
    for layer in layers:
        for skill in skills.values():
            for name in layer(skill):
                slug = slugify(name)
                if len(slug) >= 2:
                    names.setdefault(slug, skill.tag)
                    names.setdefault(slug.replace("-", ""), skill.tag)
    return names
