"""The house's plan, checked on the import graph: each concept in its room, data one way.

Read with grimp, TYPE_CHECKING imports included (they are still a dependency a reader follows).
"""

from __future__ import annotations

import grimp
import pytest

LAYERS = ("bot", "commands", "storage")  # each may import only the ones after it
PLATFORM_LIBRARIES = {"nio", "pydiscourse", "aiohttp"}
DATABASE_LIBRARIES = {"sqlalchemy", "alembic"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        *LAYERS,
        include_external_packages=True,
        exclude_type_checking_imports=False,
        cache_dir=None,
    )


def modules_of(graph: grimp.ImportGraph, *packages: str) -> list[str]:
    return sorted(m for m in graph.modules if m.split(".")[0] in packages)


def imported_libraries(graph: grimp.ImportGraph, module: str) -> set[str]:
    return {name.split(".")[0] for name in graph.find_modules_directly_imported_by(module)}


def test_layers_import_one_way_only(graph: grimp.ImportGraph) -> None:
    illegal = graph.find_illegal_dependencies_for_layers(layers=LAYERS)
    routes = sorted(
        f"{dependency.importer} → {dependency.imported}: {' → '.join(route.heads)} … "
        f"{' → '.join(route.tails)}"
        for dependency in illegal
        for route in dependency.routes
    )
    assert routes == []


def test_the_brain_and_the_storage_know_no_platform(graph: grimp.ImportGraph) -> None:
    offenders = {
        module: sorted(imported_libraries(graph, module) & PLATFORM_LIBRARIES)
        for module in modules_of(graph, "commands", "storage")
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def test_only_storage_speaks_sql(graph: grimp.ImportGraph) -> None:
    offenders = {
        module: sorted(imported_libraries(graph, module) & DATABASE_LIBRARIES)
        for module in modules_of(graph, "bot", "commands")
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def test_no_two_modules_import_each_other_even_through_others(graph: grimp.ImportGraph) -> None:
    ours = set(modules_of(graph, *LAYERS))
    cycles = set()
    for importer in sorted(ours):
        for imported in graph.find_modules_directly_imported_by(importer) & ours:
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.add(" → ".join((importer, *back)))
    assert sorted(cycles) == []
