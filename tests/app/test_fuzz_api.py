"""API fuzzing with schemathesis against the app's own OpenAPI schema (issue 9).

Every operation of the schema (all GETs, the job submissions and the import) gets a bounded,
derandomised set of generated requests. Asserted for each answer:

* no 5xx (``not_a_server_error``);
* the body conforms to the declared response schema where the app declares one
  (``response_schema_conformance``), with a declared content type (``content_type_conformance``);
* every 4xx JSON body says what was wrong: a non-empty ``detail`` (or ``error``) message;
* a schema-violating request (negative mode) is refused with a 4xx (``negative_data_rejection``):
  bad values, bad types, and a bad or missing ``Authorization`` header (401).

Requests are signed in as the test admin (every operation open to it), except the negative cases
that break the ``Authorization`` header itself, which go out without a valid token.

Jobs are accepted (202) but not run: the job pool of this app is replaced by one that leaves them
queued, so the fuzzing measures the HTTP layer (validation, error answers) and stays quick; the
job functions themselves have their own tests. Only the import runs inline, since its route
waits for the job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from tests.app._auth import auth_headers  # noqa: E402
from tests.app._fixtures import build_workspace, keep_jobs_queued  # noqa: E402

MAX_EXAMPLES = 25



@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, assets_ready: Path) -> Iterator[Any]:
    """The app over a private copy of the small hand-made workspace (fuzzing may write to it)."""
    from app.web import create_app

    path = tmp_path_factory.mktemp("fuzz") / "yushui_fuzz.gpkg"
    build_workspace(path)
    app = create_app(path)
    keep_jobs_queued(app, run=("import",))
    yield app


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app, headers=auth_headers(fuzz_app))


def four_xx_says_why(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx JSON answer carries a non-empty human message (``detail`` or ``error``)."""
    if not 400 <= response.status_code < 500:
        return None
    ctype = response.headers.get("content-type", [""])
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    if "json" not in ctype:
        return None
    body = response.json()
    assert isinstance(body, dict), f"4xx body is not an object: {body!r}"
    message = body.get("detail") or body.get("error")
    if isinstance(message, list):  # FastAPI's request validation: a list of {loc, msg, type}
        assert message and all(isinstance(m, dict) and m.get("msg") for m in message), (
            f"4xx validation detail without messages: {body!r}")
    else:
        assert isinstance(message, str) and message.strip(), f"4xx body without a message: {body!r}"
    return None


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, negative_data_rejection]


def _fuzz_operation(operation: Any, mode: GenerationMode, seen: Counter[int],
                    failures: list[str], layers: list[str] | None = None) -> None:
    if layers and "{name}" in operation.path:  # real layer names, not only random ones
        strategy = st.sampled_from(layers).flatmap(
            lambda name: operation.as_strategy(generation_mode=mode,
                                               path_parameters={"name": name}))
    else:
        strategy = operation.as_strategy(generation_mode=mode)

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def run(case: Any) -> None:
        # signed in as the test admin (every route open to it); the fixed test sessions are put
        # back before each case, since a fuzzed sign-out or user change may end them
        components = getattr(case.meta, "components", None) or {}
        header = next((info for loc, info in components.items() if str(getattr(loc, "value", loc)) == "header"), None)
        if header is not None and header.mode is GenerationMode.NEGATIVE:
            auth_headers(operation.schema.app, "admin")  # a bad or missing Authorization: must be refused
            response = case.call()
        else:
            response = case.call(headers=auth_headers(operation.schema.app, "admin"))
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, additional_checks=[four_xx_says_why])

    try:
        run()
    except Unsatisfiable:
        # nothing to break: no parameters, or only free strings (a path's job id)
        if mode is GenerationMode.POSITIVE:
            raise
    except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure
        failures.append(f"{operation.label} [{mode.value}]: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda m: m.value)
def test_api_fuzz(api_schema: Any, mode: GenerationMode) -> None:
    """Every operation, valid (positive) or schema-violating (negative) requests."""
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 25, [o.label for o in operations]
    seen: Counter[int] = Counter()
    failures: list[str] = []
    for operation in operations:
        _fuzz_operation(operation, mode, seen, failures)
    print(f"{mode.value}: {len(operations)} operations, {seen.total()} requests,",
          f"by status {dict(sorted(seen.items()))}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="module")
def demo_schema(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory,
                assets_ready: Path) -> Any:
    """The demo district (communities, a year and more of incidents): the figures have data."""
    import shutil

    from app.web import create_app

    path = tmp_path_factory.mktemp("fuzz-demo") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    app = create_app(path)
    keep_jobs_queued(app, run=("import",))
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=auth_headers(app))


def test_api_fuzz_demo_reads(demo_schema: Any) -> None:
    """The layer pages, figures and heat points over a workspace with data, real layer names."""
    from app.storage.workspace import Workspace

    schema = demo_schema.include(method="GET", path_regex=r"^/api/v1/(layers/|stats/|incidents/)")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) == 6, [o.label for o in operations]
    layers = [li.name for li in Workspace(demo_schema.app.state.patrolnet.settings.workspace_path)
              .info().layers]
    seen: Counter[int] = Counter()
    failures: list[str] = []
    for operation in operations:
        for mode in GenerationMode.POSITIVE, GenerationMode.NEGATIVE:
            _fuzz_operation(operation, mode, seen, failures, layers)
    print(f"demo: {len(operations)} operations, {seen.total()} requests,",
          f"by status {dict(sorted(seen.items()))}")
    assert not failures, "\n\n".join(failures)
