"""Benchmark jobs: ``POST /webhook/benchmark`` and ``GET /status/<job_id>``."""

from __future__ import annotations

import re

from flask import Blueprint
from flask.typing import ResponseReturnValue

from flask_app._request import json_body, service
from flask_app.auth import require_write_token
from flask_app.errors import ApiError

bp = Blueprint("jobs", __name__)
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


@bp.post("/webhook/benchmark")
@require_write_token
def submit_job() -> ResponseReturnValue:
    """Queue a benchmark job.
    ---
    tags: [jobs]
    summary: Benchmark codecs on a synthetic dataset of the given modality
    description: >
      Runs the same code as the direct API (`run_benchmark_request`).  Limits: at most
      512 MiB uncompressed, 5 dimensions, 20 codecs, 20 runs.
    security:
      - bearerAuth: []
      - {}
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/BenchmarkRequest'}
          example:
            dataset: {name: cryoet_sample_1, type: cryoet, shape: [64, 64, 64], dtype: float32}
            benchmark:
              codecs: [zstd-3, blosc-lz4-5-shuffle]
              compression_profile: balanced
              num_runs: 2
    responses:
      202:
        description: Queued.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/JobAccepted'}
      400: {$ref: '#/components/responses/BadRequest'}
      401: {$ref: '#/components/responses/Unauthorized'}
      403: {$ref: '#/components/responses/Forbidden'}
      413: {$ref: '#/components/responses/TooLarge'}
      415: {$ref: '#/components/responses/UnsupportedMediaType'}
      422: {$ref: '#/components/responses/Invalid'}
      429: {$ref: '#/components/responses/RateLimited'}
      503: {$ref: '#/components/responses/Unavailable'}
    """
    from flask_app.jobqueue import JobQueueFull, RunnerUnavailable

    payload = json_body()
    try:
        job_id = service().jobs.submit(payload)
    except RunnerUnavailable as exc:
        raise ApiError(503, str(exc)) from None
    except JobQueueFull as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "30"}) from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    status_url = f"/status/{job_id}"
    return (
        {"job_id": job_id, "status": "queued", "status_url": status_url},
        202,
        {"Location": status_url},
    )


@bp.get("/status/<string:job_id>")
def job_status(job_id: str) -> ResponseReturnValue:
    """State of a benchmark job.
    ---
    tags: [jobs]
    parameters:
      - name: job_id
        in: path
        required: true
        schema: {type: string, pattern: "^[0-9a-f]{32}$"}
    responses:
      200:
        description: queued, running, completed (with `results`) or failed (with `error`).
        content:
          application/json:
            schema: {$ref: '#/components/schemas/JobStatus'}
      404: {$ref: '#/components/responses/NotFound'}
    """
    job = service().jobs.get(job_id) if _JOB_ID.match(job_id) else None
    if job is None:
        raise ApiError(404, f"no job with id {job_id[:80]!r}")
    return job
