"""Skills extraction speed: median time to extract from a 1,000-character message and to normalise.

Run: ``.venv/bin/python bench/bench_skills.py [-n 2000]`` (or ``-m bench.bench_skills``).
Target: extraction under 1 ms at the median on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from commands.skills import Taxonomy  # noqa: E402

MESSAGE_LENGTH = 1_000
TARGET_MS = 1.0

SENTENCES = [
    "Bonjour, je m'appelle Camille et j'ai découvert la Maison des Lanceurs d'Alerte par une amie.",
    "Je suis développeuse web depuis huit ans : surtout du HTML, du CSS et du JavaScript,",
    "un peu de PHP et pas mal de WordPress pour des petites associations de mon quartier.",
    "J'administre aussi un petit serveur Debian chez moi avec Nextcloud et des sauvegardes restic.",
    "Côté communication, je gère le compte Mastodon d'un collectif et j'écris sa newsletter.",
    "Je traduis de l'anglais et de l'espagnol, et je relis volontiers des textes en français.",
    "J'ai des notions de RGPD et d'accessibilité (RGAA), et j'aimerais apprendre le chiffrement.",
    "Je suis disponible le mardi soir et un week-end sur deux, plutôt à distance depuis Lyon.",
    "Je fais aussi de la poterie, du macramé et un peu de jardinage, mais ça ne vous servira pas !",
    "Mes traductoins sont soignées et je connais bien les réseaux sociaux et le tableur Excel.",
]


def realistic_message(rng: random.Random, noise: bool) -> str:
    """About 1,000 characters of sentences; with noise, some made-up words no cache has seen."""
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < MESSAGE_LENGTH:
        parts.append(rng.choice(SENTENCES))
        if noise:
            parts.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10))))
    return " ".join(parts)[:MESSAGE_LENGTH]


def median_ms(function: Callable[[], object], repetitions: int) -> float:
    timings = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--repetitions", type=int, default=2000)
    repetitions = parser.parse_args().repetitions
    rng = random.Random(42)

    start = time.perf_counter()
    taxonomy = Taxonomy.default()
    load_ms = (time.perf_counter() - start) * 1000

    message = realistic_message(rng, noise=False)
    taxonomy.extract(message)  # warm the per-word caches once
    same = median_ms(lambda: taxonomy.extract(message), repetitions)

    fresh = [realistic_message(rng, noise=True) for _ in range(repetitions)]
    texts = iter(fresh)
    unseen = median_ms(lambda: taxonomy.extract(next(texts)), repetitions)

    names = iter(["Réseaux sociaux", "Social networks", "Macramé", "reseaux_sociaux"] * repetitions)
    normalise = median_ms(lambda: taxonomy.normalise(next(names)), repetitions)

    verdict = "OK" if max(same, unseen) < TARGET_MS else "SLOW"
    print(
        f"skills: extract {len(message)} chars median {same * 1000:.0f} µs "
        f"(with unseen words {unseen * 1000:.0f} µs), normalise median {normalise * 1000:.1f} µs, "
        f"load {load_ms:.0f} ms, {len(taxonomy)} tags, n={repetitions} [{verdict} < {TARGET_MS} ms]"
    )


if __name__ == "__main__":
    main()
