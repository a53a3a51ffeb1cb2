"""Pytest fixtures starting one real Synapse per session (relaxed or stock rate limits).

Load this module as a plugin from the top conftest.py::

    pytest_plugins = ["tests.harness.conftest_synapse"]

and ask for ``synapse`` / ``synapse_stock`` in tests. When a test that used one of them
fails, the report gets a "synapse log" section with the tail of the homeserver's log.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio

from .synapse import RateLimits, SynapseServer

SERVER_FIXTURES = ("synapse", "synapse_stock")


def synapse_available() -> bool:
    """True when ``python -m synapse.app.homeserver`` can run in this interpreter."""
    try:
        return importlib.util.find_spec("synapse.app.homeserver") is not None
    except ModuleNotFoundError:
        return False


@asynccontextmanager
async def _serve(rate_limits: RateLimits) -> AsyncIterator[SynapseServer]:
    if not synapse_available():
        pytest.skip("matrix-synapse is not installed (pip install -e '.[test]')")
    server = SynapseServer(rate_limits=rate_limits)
    try:
        await server.start()
        yield server
    finally:
        await server.aclose()


@pytest_asyncio.fixture(name="synapse", scope="session", loop_scope="session")
async def synapse_fixture() -> AsyncIterator[SynapseServer]:
    """A real Synapse with every rc_* limit relaxed, shared by the whole session."""
    async with _serve("relaxed") as server:
        yield server


@pytest_asyncio.fixture(name="synapse_stock", scope="session", loop_scope="session")
async def synapse_stock_fixture() -> AsyncIterator[SynapseServer]:
    """A real Synapse with Synapse's default rate limits, for tests of 429 handling."""
    async with _serve("stock") as server:
        yield server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the homeserver log tail to the report of a failed test that used Synapse."""
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        for name in SERVER_FIXTURES:
            server = funcargs.get(name)
            if isinstance(server, SynapseServer):
                report.sections.append((f"{name} log ({server.data_dir})", server.log_tail()))
    return report
