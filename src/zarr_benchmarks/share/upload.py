"""Upload reduced files to the contribution service (``POST <url>/contribute``).

* URL: ``--url``, else ``$ZARR_BENCHMARKS_URL``, else ``http://127.0.0.1:8080``.
* Token: ``$ZARR_BENCHMARKS_TOKEN`` only (sent as ``Authorization: Bearer``; never printed).
* Connection errors, 5xx and 429 are retried by urllib3's ``Retry`` with exponential
  back-off (``Retry-After`` honoured); a 4xx rejection is reported with the service's
  ``{"error", "detail"}``.
* Accepted files are recorded by content hash (SHA-256 of the file bytes) per service URL
  in ``~/.cache/zarr-benchmarks/uploaded.json`` (``$XDG_CACHE_HOME`` honoured), so nothing
  is uploaded twice. Quick results are never uploaded.
* Only this machine's results are sent when ``machine_id`` is given (the CLI's default,
  from the machine file ``zarr-benchmarks setup`` writes): results of other machines
  (e.g. the reference results committed to the repository), their machine files and
  environment files no result to send refers to are skipped, each with the reason.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from filelock import FileLock
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.util.retry import Retry

from zarr_benchmarks._dirs import cache_dir
from zarr_benchmarks._jsonio import JSONReadError, atomic_write_json, read_json, sha256_hex
from zarr_benchmarks.results.schemas import SchemaError, validate

__all__ = [
    "DEFAULT_URL",
    "UploadError",
    "UploadOutcome",
    "Uploader",
    "collect_upload_files",
    "only_machine",
    "record_path",
    "service_url",
]

DEFAULT_URL = "http://127.0.0.1:8080"
URL_ENV = "ZARR_BENCHMARKS_URL"
TOKEN_ENV = "ZARR_BENCHMARKS_TOKEN"
#: answers worth another try: rate limited, or the service (or its proxy) failing
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_KIND_ORDER = {"machine": 0, "environment": 1, "result": 2}


class UploadError(ValueError):
    """A file cannot be uploaded as given (bad input); names the file."""


def service_url(url: str | None = None) -> str:
    """The service base URL (option, environment, default), without a trailing slash."""
    return (url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")


def record_path() -> Path:
    """Where accepted content hashes are recorded."""
    return cache_dir() / "uploaded.json"


def collect_upload_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files/folders to reduced files (``result_*``/``info_*`` JSON in folders)."""
    out: dict[Path, None] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for sub in sorted(p.glob("*.json")):
                if sub.name.startswith(("result_", "info_machine-", "info_environment-")):
                    out[sub] = None
        elif p.is_file():
            out[p] = None
        else:
            raise UploadError(f"{p}: no such file or folder")
    return list(out)


@dataclass
class Prepared:
    """A validated file ready to post."""

    path: Path
    body: bytes
    document: dict[str, Any]
    digest: str


def prepare(paths: Sequence[Path]) -> list[Prepared]:
    """Read and validate every file first (all-or-nothing); info files sort first."""
    prepared = []
    for path in paths:
        try:
            body = path.read_bytes()
            document = read_json(path)
            validate(document)
        except (OSError, JSONReadError) as exc:
            raise UploadError(f"{path}: {exc}") from exc
        except SchemaError as exc:
            raise UploadError(f"{path}: not a valid reduced file: {exc}") from exc
        prepared.append(Prepared(path, body, document, sha256_hex(body)))
    prepared.sort(key=lambda p: (_KIND_ORDER[p.document["kind"]], p.path.name))
    return prepared


OTHER_MACHINE = "result of another machine (e.g. a committed reference result): not this machine's"


def only_machine(
    prepared: Sequence[Prepared], machine_id: str
) -> tuple[list[Prepared], list[tuple[Path, str]]]:
    """``(kept, skipped)``: the files of ``machine_id``'s results, and the others with why.

    Kept: results measured on the machine, its machine file, and the environment files
    those results refer to. Skipped: results and machine files of other machines, and
    environment files only other machines' results refer to.
    """
    kept: list[Prepared] = []
    skipped: list[tuple[Path, str]] = []
    environments = {
        p.document.get("environment_id")
        for p in prepared
        if p.document["kind"] == "result" and p.document.get("machine_id") == machine_id
    }
    for item in prepared:
        kind, doc = item.document["kind"], item.document
        if kind in ("result", "machine") and doc.get("machine_id") != machine_id:
            why = OTHER_MACHINE if kind == "result" else "machine file of another machine"
            skipped.append((item.path, why))
        elif kind == "environment" and doc.get("environment_id") not in environments:
            skipped.append((item.path, "environment of no result of this machine"))
        else:
            kept.append(item)
    return kept, skipped


@dataclass
class UploadOutcome:
    """Per-file outcomes of an upload."""

    accepted: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing rejected and nothing failed."""
        return not self.rejected and not self.failed


class _Retry(Retry):
    """urllib3's retry policy, saying what it waits for and sleeping through ``sleeper``.

    urllib3 decides what is retried (connection errors, 429 and 5xx), how long to wait
    (exponential back-off from the second retry on, or the server's ``Retry-After``)
    and when to stop; this subclass only reports each wait and lets tests sleep on a
    recorded clock.
    """

    def __init__(
        self,
        *args: Any,
        note: Callable[[str], None] | None = None,
        sleeper: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.note, self.sleeper = note, sleeper

    def new(self, **kwargs: Any) -> _Retry:
        retry = super().new(**kwargs)
        retry.note, retry.sleeper = self.note, self.sleeper
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        delay = None
        if self.respect_retry_after_header and response is not None:
            delay = self.get_retry_after(response)
        delay = min(self.get_backoff_time() if delay is None else delay, self.backoff_max)
        if self.note is not None and self.history:
            last = self.history[-1]
            why = f"HTTP {last.status}" if last.status else f"no answer ({last.error!r:.80})"
            attempts = len(self.history) + (self.total if isinstance(self.total, int) else 0) + 1
            self.note(f"{why}; retrying in {delay:.1f} s ({len(self.history) + 1}/{attempts})")
        if delay > 0:
            self.sleeper(delay)


def _rejection(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and (data.get("error") or data.get("detail")):
        error, detail = data.get("error") or "rejected", data.get("detail")
        return f"HTTP {response.status_code} {error}" + (f": {detail}" if detail else "")
    text = response.text.strip().splitlines()[:1]
    return f"HTTP {response.status_code} {response.reason or ''}".rstrip() + (
        f": {text[0][:200]}" if text else ""
    )


class Uploader:
    """Posts prepared files with retries and remembers what was accepted.

    Parameters
    ----------
    url
        Service base URL (see :func:`service_url`).
    token
        Bearer token; default ``$ZARR_BENCHMARKS_TOKEN``.
    attempts, backoff, max_delay, timeout
        Retry policy (urllib3's): up to ``attempts`` tries, the first retry at once,
        then waiting ``backoff * 2**n`` seconds (or ``Retry-After``), never more than
        ``max_delay``; ``timeout`` per request.
    sleep
        Sleep function (``time.sleep``).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        attempts: int = 5,
        backoff: float = 1.0,
        max_delay: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = service_url(url)
        self.endpoint = f"{self.url}/contribute"
        self._token = token if token is not None else os.environ.get(TOKEN_ENV)
        self.attempts, self.backoff, self.max_delay = max(1, attempts), backoff, max_delay
        self.timeout, self._sleep = timeout, sleep
        self.session = requests.Session()

    def __repr__(self) -> str:  # never show the token
        return f"Uploader(url={self.url!r})"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _post(self, body: bytes, note: Callable[[str], None]) -> tuple[str, str]:
        """Return ``("accepted"|"rejected"|"failed", message)``."""
        retry = _Retry(
            total=self.attempts - 1,
            backoff_factor=self.backoff,
            backoff_max=self.max_delay,
            retry_after_max=self.max_delay,
            status_forcelist=RETRY_STATUSES,
            # The service stores a document once by its content hash: a repeated POST
            # after a lost answer cannot store it twice, so POST may be retried.
            allowed_methods=frozenset({"POST"}),
            respect_retry_after_header=True,
            raise_on_status=False,
            note=note,
            sleeper=self._sleep,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        after = f"after {self.attempts} attempts"
        try:
            response = self.session.post(
                self.endpoint, data=body, headers=self._headers(), timeout=self.timeout
            )
        except requests.RequestException as exc:
            return "failed", f"cannot reach {self.url} ({exc.__class__.__name__}) {after}"
        if response.status_code in (200, 201, 202):
            return "accepted", f"HTTP {response.status_code}"
        if response.status_code in RETRY_STATUSES:
            return "failed", f"{_rejection(response)} {after}"
        return "rejected", _rejection(response)

    def upload(
        self,
        paths: Sequence[Path],
        note: Callable[[str], None] = lambda _m: None,
        machine_id: str | None = None,
    ) -> UploadOutcome:
        """Upload files (validated first); quick results and known hashes are skipped.

        With ``machine_id``, only that machine's results (and the machine and
        environment files they refer to) are sent; every other file is skipped with
        the reason.

        Raises
        ------
        UploadError
            Before posting anything, when a file is unreadable or not a valid reduced file.
        """
        prepared = prepare(paths)
        outcome = UploadOutcome()
        if machine_id is not None:
            prepared, outcome.skipped = only_machine(prepared, machine_id)
        record = record_path()
        record.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(record) + ".lock"):
            seen = self._load_record(record)
            done = set(seen.get(self.url, []))
            for index, item in enumerate(prepared):
                if item.document["kind"] == "result" and item.document.get("quick"):
                    outcome.skipped.append((item.path, "quick result: never uploaded"))
                    continue
                if item.digest in done:
                    outcome.skipped.append((item.path, "already uploaded"))
                    continue

                def note_file(m: str, p: Path = item.path) -> None:
                    note(f"{p}: {m}")

                status, message = self._post(item.body, note_file)
                if status == "accepted":
                    outcome.accepted.append(item.path)
                    done.add(item.digest)
                    seen[self.url] = sorted(done)
                    atomic_write_json(record, seen)  # record each success at once
                elif status == "rejected":
                    outcome.rejected.append((item.path, message))
                else:
                    outcome.failed.append((item.path, message))
                    if "cannot reach" in message:
                        # The service is down: do not hammer it once per remaining file.
                        outcome.failed += [
                            (rest.path, "not attempted: service unreachable")
                            for rest in prepared[index + 1 :]
                        ]
                        break
        return outcome

    @staticmethod
    def _load_record(path: Path) -> dict[str, list[str]]:
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}  # a damaged record only means files may be offered again
        return data if isinstance(data, dict) else {}
