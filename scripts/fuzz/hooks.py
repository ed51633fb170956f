"""Haul's own schemathesis checks, loaded through SCHEMATHESIS_HOOKS=scripts.fuzz.hooks (see fuzz.ts).

- refusal_is_problem_json: every 4xx is application/problem+json whose `status` is the response's,
  except what API Gateway answers itself ({"message": ...}, application/json), which an HTTP API
  cannot reshape: 401 from the JWT authorizer, 404 for a method or path no route has (schemathesis
  tries TRACE and the like), 413 over 10 MB, 429 throttled.
- refused_request_writes_nothing: for every request that is not a GET, the orchestrator's writes
  fingerprint (HAUL_FUZZ_WRITES_URL: the fuzz people's reservation rows and the workflow's executions)
  is taken before and after the call; a 4xx must leave it unchanged. fuzz.ts runs schemathesis with one
  worker, and the ReservationApi (the only API that changes what the fingerprint covers) alone, so no
  accepted request runs in between.
"""

import json
import os
import urllib.request

import schemathesis

WRITES_URL = os.environ.get("HAUL_FUZZ_WRITES_URL")
GATEWAY_STATUSES = {401, 404, 413, 429}

# id(case) -> (before, after) fingerprints of the call just made; popped by the check.
_fingerprints: dict[int, tuple[str, str | None]] = {}


def _fingerprint() -> str:
    with urllib.request.urlopen(WRITES_URL, timeout=30) as answer:
        return answer.read().decode()


def _writes(case) -> bool:
    return bool(WRITES_URL) and case.method.upper() not in ("GET", "HEAD", "OPTIONS")


@schemathesis.hook
def before_call(context, case, kwargs):
    if _writes(case):
        _fingerprints[id(case)] = (_fingerprint(), None)


@schemathesis.hook
def after_call(context, case, response):
    taken = _fingerprints.get(id(case))
    if taken is not None:
        _fingerprints[id(case)] = (taken[0], _fingerprint())


def _header(response, name: str) -> str:
    values = response.headers.get(name) or []
    return values[0] if values else ""


def _json(response):
    try:
        return json.loads(response.content or b"")
    except ValueError:
        return None


@schemathesis.check
def refusal_is_problem_json(ctx, response, case):
    status = response.status_code
    if not 400 <= status < 500:
        return None
    content_type = _header(response, "content-type").split(";")[0].strip().lower()
    body = _json(response)
    if status in GATEWAY_STATUSES and content_type == "application/json" and isinstance(body, dict) and set(body) == {"message"}:
        return None
    if content_type != "application/problem+json":
        raise AssertionError(f"{status} refusal is {content_type or 'without content-type'}, not application/problem+json")
    if not isinstance(body, dict) or body.get("status") != status or not isinstance(body.get("title"), str):
        raise AssertionError(f"{status} refusal is not a problem document with status {status}: {response.content[:200]!r}")
    return None


@schemathesis.check
def refused_request_writes_nothing(ctx, response, case):
    before, after = _fingerprints.pop(id(case), (None, None))
    if before is None or after is None or not 400 <= response.status_code < 500:
        return None
    if before != after:
        raise AssertionError(f"{response.status_code} refusal changed what is stored: before {before}, after {after}")
    return None
