"""The HTTP app (Starlette): the GitHub webhook, health, metrics, reviews, OpenAPI.

``POST /webhooks/github``, in this order: a body over ``serve.max-body`` is refused with
413 before it is read whole; ``X-Hub-Signature-256`` must be the HMAC-SHA256 of the raw
body keyed with ``REVIEWBOT_GITHUB_SECRET`` (compared in constant time), else 401 and
nothing is looked at further; then the event: ``ping`` is answered, ``pull_request``
``opened``/``synchronize``/``reopened`` is queued (one job per head SHA, so a redelivery
answers ``duplicate``), anything else is 202 with the reason. A body that is not a JSON
object is 400. Both of GitHub's content types are taken (``application/json`` and the
form with a ``payload`` field); the signature covers the raw body either way.

``GET /reviews/{id}`` takes a review's number or its job's id (percent-encoded): a posted
check links to the job, whose review has no number yet when the check is posted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reviewbot.service import metrics
from reviewbot.service.logs import event
from reviewbot.service.openapi import MAX_LIMIT, MAX_OFFSET, document
from reviewbot.service.runtime import Runtime
from reviewbot.service.tasks import github_job

log = logging.getLogger(__name__)

QUEUED_ACTIONS = ("opened", "synchronize", "reopened")
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def _digits(text: str) -> bool:
    # str.isdigit() alone takes "¹" and other Unicode digits that int() refuses.
    return text.isascii() and text.isdigit()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def signature_of(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _payload(body: bytes, content_type: str) -> Any:
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qs(body.decode("utf-8", "strict"), strict_parsing=True)
        return json.loads(form["payload"][0])
    return json.loads(body)


def _pull_request(payload: dict[str, Any]) -> tuple[str, int, str, dict[str, Any]]:
    """(repo, number, head sha, job params) of a pull_request payload, or ValueError."""
    pr = payload.get("pull_request")
    repo = (payload.get("repository") or {}).get("full_name")
    if not isinstance(pr, dict) or not isinstance(repo, str) or not _REPO.match(repo):
        raise ValueError("a pull_request event needs pull_request and repository.full_name")
    number = pr.get("number", payload.get("number"))
    sha = (pr.get("head") or {}).get("sha")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError("pull_request.number is not a positive integer")
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise ValueError("pull_request.head.sha is not a commit SHA")
    params = {
        "repo": repo,
        "number": number,
        "head_sha": sha,
        "html_url": pr.get("html_url"),
        "title": pr.get("title"),
    }
    return repo, number, sha, params


def create_app(runtime: Runtime) -> Starlette:
    settings = runtime.settings
    counter = metrics.WebhookCounter()
    spec = document()

    def answer(outcome: str, status: int, body: dict[str, Any], **fields: Any) -> JSONResponse:
        counter.add(outcome)
        event(log, "webhook." + outcome, status=status, **fields)
        return JSONResponse(body, status_code=status)

    async def github_webhook(request: Request) -> Response:
        gh = settings.github
        if not gh.webhook or gh.secret is None:
            return _error(404, "the GitHub webhook is turned off (sources.github.webhook)")
        delivery = request.headers.get("x-github-delivery", "")
        length = request.headers.get("content-length")
        if length is not None:
            if not _digits(length):
                return answer("rejected", 400, {"error": "bad Content-Length"}, delivery=delivery)
            if int(length) > settings.max_body:
                return answer(
                    "too_large",
                    413,
                    {"error": f"body over {settings.max_body} bytes"},
                    delivery=delivery,
                )
        try:
            body = await _read_body(request, settings.max_body)
        except _TooLarge:
            return answer(
                "too_large",
                413,
                {"error": f"body over {settings.max_body} bytes"},
                delivery=delivery,
            )
        given = request.headers.get("x-hub-signature-256")
        if not given:
            return answer(
                "unauthorized", 401, {"error": "missing X-Hub-Signature-256"}, delivery=delivery
            )
        expected = signature_of(gh.secret.reveal(), body)
        if not hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace")):
            return answer(
                "unauthorized", 401, {"error": "wrong X-Hub-Signature-256"}, delivery=delivery
            )
        kind = request.headers.get("x-github-event", "")
        if not kind:
            return answer("rejected", 400, {"error": "missing X-GitHub-Event"}, delivery=delivery)
        try:
            payload = _payload(body, request.headers.get("content-type", "application/json"))
        except (ValueError, KeyError, UnicodeDecodeError):
            return answer("rejected", 400, {"error": "the body is not JSON"}, delivery=delivery)
        if not isinstance(payload, dict):
            return answer(
                "rejected", 400, {"error": "the body is not a JSON object"}, delivery=delivery
            )
        if kind == "ping":
            hook = payload.get("hook_id")
            zen = payload.get("zen")
            return answer(
                "ping",
                200,
                {
                    "status": "pong",
                    "zen": zen if isinstance(zen, str) else None,
                    "hook_id": hook
                    if isinstance(hook, int) and not isinstance(hook, bool)
                    else None,
                },
                delivery=delivery,
            )
        action = payload.get("action")
        if kind != "pull_request" or action not in QUEUED_ACTIONS:
            what = f"{kind} {action}" if isinstance(action, str) else kind
            reason = f"{what}: only pull_request {', '.join(QUEUED_ACTIONS)} are reviewed"
            return answer(
                "ignored", 202, {"status": "ignored", "reason": reason}, delivery=delivery
            )
        try:
            repo, number, sha, params = _pull_request(payload)
        except ValueError as exc:
            return answer("rejected", 400, {"error": str(exc)}, delivery=delivery)
        if gh.repositories and repo not in gh.repositories:
            reason = f"{repo} is not in sources.github.repositories"
            return answer(
                "ignored", 202, {"status": "ignored", "reason": reason}, delivery=delivery
            )
        job = github_job(repo, number, sha)
        created = await run_in_threadpool(runtime.submit, "github", job, params)
        status = "queued" if created else "duplicate"
        body_out: dict[str, Any] = {"status": status, "job": job}
        if not created:
            body_out["reason"] = "this revision was queued before"
        return answer(status, 202, body_out, delivery=delivery, job=job, action=action)

    async def healthz(request: Request) -> Response:
        def probe() -> None:
            runtime.board.ping()
            if runtime.store is not None:
                runtime.store.ping()
            runtime.queue.depth()

        try:
            await run_in_threadpool(probe)
        except Exception as exc:
            event(log, "health.failed", logging.ERROR, error=repr(exc))
            return JSONResponse(
                {
                    "status": "unavailable",
                    "queue": settings.queue.backend,
                    "error": type(exc).__name__,
                },
                status_code=503,
            )
        return JSONResponse({"status": "ok", "queue": settings.queue.backend})

    async def metrics_text(request: Request) -> Response:
        text = await run_in_threadpool(metrics.render, runtime, counter)
        return Response(text, media_type=metrics.CONTENT_TYPE)

    def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not _digits(raw) or not low <= int(raw) <= high:
            raise ValueError(f"{name}: expected an integer from {low} to {high}")
        return int(raw)

    def _with_url(summary: dict[str, Any]) -> dict[str, Any]:
        return {**summary, "url": f"/reviews/{summary['id']}"}

    def listing(request: Request) -> dict[str, Any]:
        q = request.query_params
        limit = _int(request, "limit", 50, 1, MAX_LIMIT)
        offset = _int(request, "offset", 0, 0, MAX_OFFSET)
        out: dict[str, Any] = {"reviews": [], "failed": [], "pending": []}
        store = runtime.store
        if store is not None:
            out["reviews"] = [
                _with_url(s)
                for s in store.reviews(
                    series=q.get("series"),
                    revision=q.get("revision"),
                    fingerprint=q.get("fingerprint"),
                    limit=limit,
                    offset=offset,
                )
            ]
        board = runtime.board
        failed = board.by_state("failed", limit)
        pending = board.by_state("running", limit) + board.by_state("queued", limit)
        reviewed = store.review_ids_for_jobs([j.id for j in failed + pending]) if store else {}
        out["failed"] = [{**j.public(), "review": reviewed.get(j.id)} for j in failed]
        out["pending"] = [{**j.public(), "review": reviewed.get(j.id)} for j in pending[:limit]]
        out["counts"] = board.counts()
        wanted = q.get("job")
        if wanted is not None:
            found = board.get(wanted)
            if found is not None:
                review = store.review_for_job(found.id) if store else None
                out["job"] = {**found.public(), "review": review}
        return out

    async def reviews(request: Request) -> Response:
        try:
            return JSONResponse(await run_in_threadpool(listing, request))
        except ValueError as exc:
            return _error(400, str(exc))

    def find_review(key: str) -> dict[str, Any] | str:
        """The review numbered ``key``, or the review of the job ``key``; else why not."""
        store = runtime.store
        if store is None:
            return "this process has no store"
        if _digits(key):
            number = int(key)
            found = store.review(number) if 1 <= number < 2**63 else None
            return found if found is not None else f"no review {key}"
        number_of_job = store.review_for_job(key)
        if number_of_job is not None:
            found = store.review(number_of_job)
            if found is not None:
                return found
        job = runtime.board.get(key)
        if job is None:
            return f"no review {key}"
        why = f": {job.error}" if job.state == "failed" and job.error else ""
        return f"no review of job {key} yet: it is {job.state}{why}"

    async def review(request: Request) -> Response:
        found = await run_in_threadpool(find_review, request.path_params["id"])
        if isinstance(found, str):
            return _error(404, found)
        return JSONResponse(_with_url(found))

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):
            return _error(500, "internal error")
        # Starlette's own headers matter: a 405 carries the Allow header (RFC 9110).
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: http_error
    }
    return Starlette(
        routes=[
            Route("/webhooks/github", github_webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_text, methods=["GET"]),
            Route("/reviews", reviews, methods=["GET"]),
            # a job id has slashes ("github:o/r#1@...")
            Route("/reviews/{id:path}", review, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers=handlers,
    )
