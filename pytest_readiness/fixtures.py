"""Fixtures checks use: ``evidence``, ``readiness`` (the active profile) and one connection per kind.

Connection fixtures are parametrized over the profile's targets of their kind (test ids carry
the target name) and draw from one :class:`ConnectionPool` per process. No target of a kind:
the check is skipped as not applicable. Unreachable target: the check errors with the cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_readiness.context import ReadinessContext
from pytest_readiness.errors import ReadinessError
from pytest_readiness.evidence import Evidence, EvidenceStore
from pytest_readiness.redaction import Redactor
from pytest_readiness.registry import CONNECTORS, by_fixture

if TYPE_CHECKING:
    from pytest_readiness.config import Profile
    from pytest_readiness.connections import ConnectionPool
    from pytest_readiness.connectors.base import Target

SESSION_KEY = pytest.StashKey[Any]()  # the ReadinessSession of a readiness run
_INERT_STORE = pytest.StashKey[EvidenceStore]()
_POOL: pytest.StashKey[ConnectionPool] = pytest.StashKey()

#: fixture name -> profile key of its targets
CONNECTION_FIXTURES = {c.fixture: kind for kind, c in CONNECTORS.items()}


def context_of(profile: Profile) -> ReadinessContext:
    scoped = tuple(w for w in profile.waivers if w.object is not None)
    return ReadinessContext(
        profile.name, profile.thresholds, profile.timeout, profile.description, scoped
    )


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Record what the check observed and expected: ``evidence(observed=3, expected=">= 1")``."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is not None:
        store: EvidenceStore = session.evidence
    else:  # not a readiness run: record into a store nobody reads, so checks still run
        store = request.config.stash.setdefault(_INERT_STORE, EvidenceStore(Redactor()))
    return store.recorder(request.node.nodeid)


@pytest.fixture(scope="session")
def readiness(request: pytest.FixtureRequest) -> ReadinessContext:
    """The active readiness profile: name, thresholds, timeout."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.skip("not a readiness run: pass --readiness=PROFILE to give checks a profile")
    return context_of(session.profile)


def parametrize_targets(metafunc: pytest.Metafunc) -> None:
    """Parametrize each connection fixture a test uses over the profile's targets of that kind."""
    session = metafunc.config.stash.get(SESSION_KEY, None)
    if session is None:
        return
    params = session.target_params
    if params is None:  # built once per run, used for every test function
        params = session.target_params = _target_params(metafunc.config, session.profile)
    for fixture in metafunc.fixturenames:
        if fixture in params:
            metafunc.parametrize(fixture, params[fixture], indirect=True, scope="session")


def _target_params(config: pytest.Config, profile: Profile) -> dict[str, list[Any]]:
    """fixture -> its params; kinds without targets are left out, so their fixture skips."""
    # --dist loadgroup keeps a target on one worker; xdist sets ``loadgroup`` on its workers, the
    # only processes that read the marks, so other runs leave every item one mark lighter
    group = bool(getattr(config.option, "loadgroup", False))
    params: dict[str, list[Any]] = {}
    for fixture, kind in CONNECTION_FIXTURES.items():
        targets = profile.targets_of(kind)
        if targets:
            params[fixture] = [
                pytest.param(
                    t,
                    id=t.name,
                    marks=[pytest.mark.xdist_group(f"{kind}:{t.name}")] if group else [],
                )
                for t in targets
            ]
    return params


def _connection(request: pytest.FixtureRequest, fixture: str) -> Any:
    __tracebackhide__ = True
    kind = CONNECTION_FIXTURES[fixture]
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.skip(f"{fixture}: not a readiness run (pass --readiness=PROFILE)")
    target: Target | None = getattr(request, "param", None)
    if target is None:
        profile = session.profile
        if kind in profile.absent:
            pytest.skip(f"N/A: profile {profile.name!r} declares no {kind} (absent: [{kind}])")
        pytest.skip(  # a critical check skipped like this is not evaluated, which blocks GO
            f"not evaluated: profile {profile.name!r} has no {kind} target; add one, or list "
            f"{kind} under `absent:` if this environment has none"
        )
    pool = request.config.stash.get(_POOL, None)
    if pool is None:
        # Connections (threads, drivers, locks) are imported by the first check that needs one.
        from pytest_readiness.connections import ConnectionPool, shared_directory, targets_needed

        pool = request.config.stash[_POOL] = ConnectionPool(
            session.redactor,
            shared_directory(request.config),
            targets_needed(request.session.items),  # tried together at this first use
        )
        request.config.add_cleanup(pool.close_all)
    try:
        return pool.get(target)
    except ReadinessError as exc:
        long_traceback = request.config.option.tbstyle == "long"
        pytest.fail(str(exc), pytrace=long_traceback)


def _connection_fixture(name: str) -> Any:
    """The session fixture ``name`` of a registry entry: the pooled connection of its target."""
    connector = by_fixture(name)

    def connection(request: pytest.FixtureRequest) -> Any:
        return _connection(request, name)

    connection.__name__ = connection.__qualname__ = name
    connection.__doc__ = connector.fixture_doc
    return pytest.fixture(scope="session", name=name)(connection)


# One per registry entry; tests/unit/test_registry.py checks the list and plugin.py's exports.
k8s_api = _connection_fixture("k8s_api")
pg_conn = _connection_fixture("pg_conn")
redis_conn = _connection_fixture("redis_conn")
nats_conn = _connection_fixture("nats_conn")
http_session = _connection_fixture("http_session")
target_host = _connection_fixture("target_host")
artifact_files = _connection_fixture("artifact_files")
repo_checkout = _connection_fixture("repo_checkout")
obs_stack = _connection_fixture("obs_stack")
