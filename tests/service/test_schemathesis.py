"""Property-based API tests: schemathesis against the app's own OpenAPI schema, in-process.

Every operation gets a bounded number of generated requests (valid and invalid ones; 25 by
default, deterministic) sent through schemathesis' ASGI transport to an app serving the demo
catalog; no response may be a server error, and every response must be documented by the
schema: status code, content type and body.

The schema is read from an app that is never started (the OpenAPI document does not depend on
the catalog), so operations are known at collection time; ``schemathesis.pytest.from_fixture``
is not used because it breaks on pytest 9.2 (it sets the private ``Function._nodeid``).

Requests carry an administrator's bearer token (not tied to an account, so that generated
account changes cannot disable it), so the protected caseworker routes are exercised beyond
their 401; their database is a private SQLite file. The protected operations (about thirty,
some 2 s each, mostly generation) are fuzzed in the slow run only (``make test-slow``), with
``SKILLMATCH_FUZZ_PROTECTED_EXAMPLES`` examples each (default 10) and no coverage phase; the
default run keeps to the public API. Who may call them is checked route by route in
``tests/service/test_auth.py``.
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.python import asgi  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from tests.conftest import TODAY  # noqa: E402

# A deeper run: SKILLMATCH_FUZZ_EXAMPLES=500 pytest tests/service/test_schemathesis.py
MAX_EXAMPLES = int(os.environ.get("SKILLMATCH_FUZZ_EXAMPLES", "25"))
PROTECTED_EXAMPLES = int(os.environ.get("SKILLMATCH_FUZZ_PROTECTED_EXAMPLES", "10"))
SECRET = "fuzz-test-secret-0123456789abcdef-0123456789"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

_openapi = create_app(Settings(data_dir="var/unused-schema-only")).openapi()
schema = schemathesis.openapi.from_dict(_openapi)
PROTECTED_OPERATIONS = sorted(
    op["operationId"]
    for item in _openapi["paths"].values()
    for op in item.values()
    if isinstance(op, dict) and op.get("security")
)
# The protected operations (about twenty) skip the coverage phase, whose hundreds of boundary
# requests per operation would triple the run time; examples and fuzzing still run.
protected_schema = schemathesis.openapi.from_dict(_openapi).include(
    operation_id=PROTECTED_OPERATIONS
)
protected_schema.config.phases.coverage.enabled = False


@pytest.fixture(scope="module")
def api(demo_env, tmp_path_factory):
    """A requests session talking ASGI to an app serving the demo catalog, and an admin token."""
    from service.casework import SYSTEM, accounts

    database = tmp_path_factory.mktemp("fuzz-db") / "fuzz.db"
    app = create_app(
        Settings(
            data_dir=demo_env.data_dir,
            database_url=f"sqlite:///{database}",
            secret_key=SECRET,
            today=TODAY,
        ),
        load_in_background=False,
    )
    with asgi.get_client(app) as client:  # runs the lifespan: the catalog is loaded
        with app.state.database.session() as session:
            for n in range(20):  # decoys for the generated revocations (small ids)
                accounts.issue_token(session, name=f"decoy {n}", role="caseworker", actor=SYSTEM)
            token = accounts.issue_token(session, name="fuzz", role="admin", actor=SYSTEM)
        client.headers["Authorization"] = f"Bearer {token.secret}"
        yield client


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@schema.exclude(operation_id=PROTECTED_OPERATIONS).parametrize()
@_settings(MAX_EXAMPLES)
def test_api_conforms_to_its_schema(case, api):
    case.call_and_validate(base_url=api.base_url, session=api, checks=CHECKS)


@pytest.mark.slow
@protected_schema.parametrize()
@_settings(PROTECTED_EXAMPLES)
def test_protected_api_conforms_to_its_schema(case, api):
    case.call_and_validate(base_url=api.base_url, session=api, checks=CHECKS)
