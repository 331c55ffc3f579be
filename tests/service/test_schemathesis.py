"""Property-based API tests: schemathesis against the app's own OpenAPI schema, in-process.

Every operation gets a bounded number of generated requests (valid and invalid ones; 25 by
default, deterministic) sent through schemathesis' ASGI transport to an app serving the demo
catalog; no response may be a server error, and every response must be documented by the
schema: status code, content type and body.

The schema is read from an app that is never started (the OpenAPI document does not depend on
the catalog), so operations are known at collection time; ``schemathesis.pytest.from_fixture``
is not used because it breaks on pytest 9.2 (it sets the private ``Function._nodeid``).
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

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

_openapi = create_app(Settings(data_dir="var/unused-schema-only")).openapi()
schema = schemathesis.openapi.from_dict(_openapi)


@pytest.fixture(scope="module")
def api(demo_env):
    """A requests session talking ASGI to an app serving the demo catalog."""
    app = create_app(Settings(data_dir=demo_env.data_dir, today=TODAY), load_in_background=False)
    with asgi.get_client(app) as client:  # runs the lifespan: the catalog is loaded
        yield client


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, api):
    case.call_and_validate(base_url=api.base_url, session=api, checks=CHECKS)
