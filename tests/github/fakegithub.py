"""A local stand-in for GitHub's REST API, checked against GitHub's own description.

Serves the endpoints wagonyard uses from in-memory state. Every request it receives and every
answer it gives is validated with openapi-core against ``@octokit/openapi``'s description, cut
to those endpoints; any problem is collected in ``problems`` and fails the test. Bodies start
from the description's own examples, with the fields that matter filled in.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

GITHUB = "https://api.github.com"
OWNER, REPO = "wagonyard", "wagonyard"


@dataclass
class Failure:
    """Answer ``count`` requests matching ``method`` and ``path`` with ``status``."""

    method: str
    path: str
    status: int
    count: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"


@dataclass
class Pull:
    author: str
    head: str
    files: list[str] = field(default_factory=list)
    reviews: list[tuple[str, str, str]] = field(default_factory=list)  # login, state, commit


class FakeGitHub:
    def __init__(self, api: OpenAPI, examples: dict[str, Any]) -> None:
        self.api = api
        self.examples = examples
        self.pulls: dict[int, Pull] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.check_runs: list[dict[str, Any]] = []
        self.check_log: list[dict[str, Any]] = []  # each check run as created or updated
        self.teams: dict[str, list[str]] = {}
        self.failures: list[Failure] = []
        self.requests: list[tuple[str, str]] = []
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- helpers for tests
    def start(self) -> FakeGitHub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def comment(self, issue: int, body: str, login: str = "someone") -> int:
        cid = 1000 + len(self.comments)
        self.comments[cid] = {"issue": issue, "body": body, "login": login}
        return cid

    def comments_on(self, issue: int) -> list[str]:
        return [c["body"] for c in self.comments.values() if c["issue"] == issue]

    # --- bodies, from the description's examples
    def _example(self, name: str) -> Any:
        value = copy.deepcopy(self.examples[name]["value"])
        return value[0] if isinstance(value, list) else value

    def _user(self, login: str) -> dict[str, Any]:
        user = self._example("team-member-items")
        user["login"] = login
        return dict(user)

    def _pull(self, number: int) -> dict[str, Any]:
        p = self.pulls[number]
        body = self._example("pull-request")
        body.update(number=number, user=self._user(p.author), requested_teams=[], state="open")
        body["head"]["sha"] = p.head
        body["base"]["ref"] = "main"
        body["url"] = f"{GITHUB}/repos/{OWNER}/{REPO}/pulls/{number}"
        body["issue_url"] = f"{GITHUB}/repos/{OWNER}/{REPO}/issues/{number}"
        return dict(body)

    def _file(self, name: str) -> dict[str, Any]:
        body = self._example("diff-entry-items")
        body.update(filename=name, status="modified")
        body.pop("previous_filename", None)
        return dict(body)

    def _review(self, i: int, login: str, state: str, commit: str) -> dict[str, Any]:
        body = self._example("pull-request-review-items")
        body.update(id=i + 1, user=self._user(login), state=state, commit_id=commit)
        return dict(body)

    def _comment(self, cid: int) -> dict[str, Any]:
        c = self.comments[cid]
        body = self._example("issue-comment")
        body.update(id=cid, body=c["body"], user=self._user(c["login"]))
        body["url"] = f"{GITHUB}/repos/{OWNER}/{REPO}/issues/comments/{cid}"
        body["issue_url"] = f"{GITHUB}/repos/{OWNER}/{REPO}/issues/{c['issue']}"
        return dict(body)

    def _check_run(self, run: dict[str, Any]) -> dict[str, Any]:
        body = self._example("check-run")
        out = run.get("output", {})
        body.update(
            id=run["id"],
            name=run["name"],
            head_sha=run["head_sha"],
            status=run.get("status", "queued"),
            conclusion=run.get("conclusion"),
            url=f"{GITHUB}/repos/{OWNER}/{REPO}/check-runs/{run['id']}",
        )
        body["output"].update(
            title=out.get("title"), summary=out.get("summary"), text=out.get("text")
        )
        return dict(body)

    # --- routing
    def route(self, method: str, path: str, query: dict[str, str], data: Any) -> tuple[int, Any]:
        base = f"/repos/{OWNER}/{REPO}"
        m = re.fullmatch(base + r"/pulls/(\d+)(/files|/reviews)?", path)
        if m and method == "GET":
            number = int(m.group(1))
            if number not in self.pulls:
                return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
            p = self.pulls[number]
            if m.group(2) == "/files":
                return 200, [self._file(f) for f in p.files]
            if m.group(2) == "/reviews":
                return 200, [self._review(i, *r) for i, r in enumerate(p.reviews)]
            return 200, self._pull(number)
        m = re.fullmatch(base + r"/issues/(\d+)/comments", path)
        if m:
            issue = int(m.group(1))
            if method == "POST":
                cid = self.comment(issue, data["body"], "wagonyard[bot]")
                return 201, self._comment(cid)
            return 200, [self._comment(c) for c, v in self.comments.items() if v["issue"] == issue]
        m = re.fullmatch(base + r"/issues/comments/(\d+)", path)
        if m and method == "PATCH":
            cid = int(m.group(1))
            self.comments[cid]["body"] = data["body"]
            return 200, self._comment(cid)
        if path == base + "/check-runs" and method == "POST":
            run = {"id": 5000 + len(self.check_runs), **data}
            self.check_runs.append(run)
            self.check_log.append(dict(run))
            return 201, self._check_run(run)
        m = re.fullmatch(base + r"/commits/([0-9a-f]{40})/check-runs", path)
        if m and method == "GET":
            runs = [
                self._check_run(r)
                for r in self.check_runs
                if r["head_sha"] == m.group(1) and r["name"] == query.get("check_name", r["name"])
            ]
            return 200, {"total_count": len(runs), "check_runs": runs}
        m = re.fullmatch(base + r"/check-runs/(\d+)", path)
        if m and method == "PATCH":
            run = next(r for r in self.check_runs if r["id"] == int(m.group(1)))
            run.update(data)
            self.check_log.append(dict(run))
            return 200, self._check_run(run)
        m = re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)/members", path)
        if m and method == "GET":
            logins = self.teams.get(f"{m.group(1)}/{m.group(2)}", [])
            return 200, [self._user(login) for login in logins]
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}

    def _page(self, path: str, query: dict[str, str], items: list[Any]) -> tuple[list[Any], str]:
        per_page = int(query.get("per_page", "30"))
        page = int(query.get("page", "1"))
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.url}{path}?per_page={per_page}&page={last}>; rel="last"')
        return items[(page - 1) * per_page : page * per_page], ", ".join(links)

    def _validate(
        self, req: MockRequest, status: int, body: bytes, headers: dict[str, str]
    ) -> None:
        try:
            self.api.validate_response(req, MockResponse(body, status_code=status, headers=headers))
        except Exception as exc:
            self.problems.append(f"response {req.method} {req.path} {status}: {_why(exc)}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.command
                req = MockRequest(
                    GITHUB,
                    method.lower(),
                    parts.path,
                    args=query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    data=raw or None,
                    content_type=self.headers.get("Content-Type", "application/json").split(";")[0],
                )
                with fake.lock:
                    fake.requests.append((method, parts.path))
                    valid = True
                    try:
                        fake.api.validate_request(req)
                    except Exception as exc:
                        fake.problems.append(f"request {method} {parts.path}: {_why(exc)}")
                        valid = False
                    failure = next(
                        (
                            f
                            for f in fake.failures
                            if f.count > 0 and f.method == method and f.path == parts.path
                        ),
                        None,
                    )
                    headers = {"Content-Type": "application/json; charset=utf-8"}
                    if not valid:  # answered as GitHub does; the test fails on ``problems``
                        status, data = 422, {"message": "Validation Failed"}
                    elif failure is not None:
                        failure.count -= 1
                        status, data = (
                            failure.status,
                            {
                                "message": failure.message,
                                "documentation_url": "https://docs.github.com/rest",
                            },
                        )
                        headers.update(failure.headers)
                    else:
                        status, data = fake.route(
                            method, parts.path, query, json.loads(raw) if raw else None
                        )
                        if isinstance(data, list):
                            data, link = fake._page(parts.path, query, data)
                            if link:
                                headers["Link"] = link
                    body = json.dumps(data).replace(GITHUB, fake.url).encode()
                    check = json.dumps(data).encode()
                    if valid:
                        fake._validate(req, status, check, {"content-type": "application/json"})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = _serve

        return Handler


def _why(exc: Exception) -> str:
    errors = getattr(exc, "schema_errors", None) or getattr(exc.__cause__, "schema_errors", None)
    if errors:
        return "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}" for e in errors
        )
    return f"{type(exc).__name__}: {str(exc)[:300]} {str(exc.__cause__ or '')[:300]}"
