"""The app's OpenAPI 3.0 description, written by hand beside the handlers it describes.

tests/test_service_openapi.py runs schemathesis against the app with this document:
every answer must be one it lists, with the content type and shape it gives.
"""

from __future__ import annotations

from typing import Any

from reviewbot import __version__
from reviewbot.config import SECRET_ENV

Json = dict[str, Any]

MAX_LIMIT = 500  # GET /reviews?limit=
MAX_OFFSET = 1_000_000_000  # GET /reviews?offset=


def _error(description: str) -> Json:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, ref: str) -> Json:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


_NULLABLE_STRING: Json = {"type": "string", "nullable": True}
_TIME: Json = {"type": "number", "description": "seconds since the epoch"}

SCHEMAS: Json = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "Pong": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["pong"]},
            "zen": _NULLABLE_STRING,
            "hook_id": {"type": "integer", "nullable": True},
        },
    },
    "WebhookAccepted": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["queued", "duplicate", "ignored"]},
            "job": {"type": "string", "description": "the job id: one per series revision"},
            "reason": {"type": "string", "description": "why nothing was queued"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "queue": {"type": "string", "enum": ["sqlite", "redis"]},
            "error": {"type": "string"},
        },
    },
    "Job": {
        "type": "object",
        "required": ["job", "kind", "state", "attempts"],
        "properties": {
            "job": {"type": "string"},
            "kind": {"type": "string", "enum": ["github", "patchwork", "lore"]},
            "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
            "attempts": {"type": "integer"},
            "error": {**_NULLABLE_STRING, "description": "the last failure's reason"},
            "note": _NULLABLE_STRING,
            "created": _TIME,
            "updated": _TIME,
            "params": {"type": "object"},
            "review": {"type": "integer", "nullable": True},
        },
    },
    "ReviewSummary": {
        "type": "object",
        "required": ["id", "job", "source", "series_key", "revision", "url"],
        "properties": {
            "id": {"type": "integer"},
            "job": {"type": "string"},
            "source": {"type": "string"},
            "series_key": {"type": "string"},
            "revision": {"type": "string"},
            "version": {"type": "integer"},
            "subject": {"type": "string"},
            "msgid": _NULLABLE_STRING,
            "queued_at": _TIME,
            "finished_at": _TIME,
            "summary": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "findings by severity",
            },
            "url": {"type": "string"},
        },
    },
    "ReviewList": {
        "type": "object",
        "required": ["reviews", "failed", "pending", "counts"],
        "properties": {
            "reviews": {"type": "array", "items": {"$ref": "#/components/schemas/ReviewSummary"}},
            "failed": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Job"},
                "description": "jobs out of retries, with the reason",
            },
            "pending": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "job": {"$ref": "#/components/schemas/Job"},
        },
    },
    "Comparison": {
        "type": "object",
        "required": ["previous", "new", "fixed", "unchanged"],
        "properties": {
            "previous": {"type": "integer", "nullable": True},
            "previous_revision": _NULLABLE_STRING,
            "new": {"type": "array", "items": {"type": "string"}, "description": "fingerprints"},
            "fixed": {"type": "array", "items": {"type": "object"}},
            "unchanged": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Review": {
        "allOf": [
            {"$ref": "#/components/schemas/ReviewSummary"},
            {
                "type": "object",
                "required": ["report", "published", "since_previous"],
                "properties": {
                    "started_at": _TIME,
                    "report": {
                        "type": "object",
                        "description": "the JSON report (reviewbot review --format json)",
                        "required": ["schema", "series", "findings", "errors"],
                    },
                    "published": {"type": "array", "items": {"type": "string"}},
                    "since_previous": {"$ref": "#/components/schemas/Comparison"},
                },
            },
        ]
    },
}


def _query(name: str, description: str, schema: Json) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def document() -> Json:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "reviewbot service",
            "version": __version__,
            "description": "Reviews every new series of a GitHub repository or a patchwork "
            "project and posts the result once per revision.",
        },
        "paths": {
            "/webhooks/github": {
                "post": {
                    "operationId": "githubWebhook",
                    "summary": "A GitHub webhook delivery (ping, pull_request).",
                    "description": "The body is checked against X-Hub-Signature-256 (HMAC-SHA256 "
                    "of the raw body with the shared secret) before anything else. "
                    "pull_request opened, synchronize and reopened are queued; other events "
                    "and actions are answered 202 with the reason.",
                    "security": [{"hubSignature": []}],
                    "parameters": [
                        {
                            "name": "X-GitHub-Event",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                        },
                        {
                            "name": "X-GitHub-Delivery",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "200": _json("ping answered", "Pong"),
                        "202": _json(
                            "queued, already known, or ignored with a reason", "WebhookAccepted"
                        ),
                        "400": _error("malformed body or missing event header"),
                        "401": _error("missing or wrong signature: nothing queued"),
                        "404": _error("the webhook is turned off in the configuration"),
                        "413": _error("body over serve.max-body bytes"),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the store and the queue answer.",
                    "responses": {
                        "200": _json("healthy", "Health"),
                        "503": _json("the store or the queue does not answer", "Health"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics: queue depth, reviews, failures, latency.",
                    "responses": {
                        "200": {
                            "description": "Prometheus text format 0.0.4",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/reviews": {
                "get": {
                    "operationId": "listReviews",
                    "summary": "Stored reviews (newest first), the failed list, pending jobs.",
                    "parameters": [
                        _query("series", "a series key, e.g. github:o/r#12", {"type": "string"}),
                        _query(
                            "revision",
                            "a revision: a head SHA, or 'vN <msgid>'",
                            {"type": "string"},
                        ),
                        _query("fingerprint", "reviews having this finding", {"type": "string"}),
                        _query("job", "one job: its state and its review", {"type": "string"}),
                        _query(
                            "limit",
                            "at most this many of each list",
                            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        ),
                        _query(
                            "offset",
                            "skip this many reviews",
                            {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                        ),
                    ],
                    "responses": {
                        "200": _json("the lists", "ReviewList"),
                        "400": _error("a malformed parameter"),
                    },
                }
            },
            "/reviews/{id}": {
                "get": {
                    "operationId": "getReview",
                    "summary": "One review: the JSON report, what was posted, and what is new "
                    "and what was fixed since the previous revision of the series.",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "the review's number, or its job's id "
                            "(github:OWNER/NAME#N@SHA, patchwork:URL#ID, lore:LIST:MSGID), "
                            "percent-encoded: the link a posted check carries",
                            "schema": {"type": "string", "minLength": 1},
                        }
                    ],
                    "responses": {
                        "200": _json("the review", "Review"),
                        "404": _error("no such review (yet: the job's state says why)"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.0 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "hubSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Hub-Signature-256",
                    "description": "sha256=<hex HMAC-SHA256 of the raw body, keyed with "
                    f"{SECRET_ENV['github-secret']}>",
                }
            },
        },
    }
