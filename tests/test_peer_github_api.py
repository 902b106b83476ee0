"""The GitHub REST API stand-in behaves like the documented API, checked against its OpenAPI."""

from __future__ import annotations

import copy
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import InvalidRequestBody
from openapi_core.validation.response.exceptions import InvalidData
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from tests.peers.github_api import GitHubStandIn

# The published description of the endpoints the kit uses: a subset of GitHub's own
# (github/rest-api-description), kept beside the stand-in it judges.
ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "peers" / "github-openapi-subset.json"
UPLOAD_PATH = "/repos/{owner}/{repo}/releases/{release_id}/assets"


def _load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return spec


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return _load_spec()


@pytest.fixture(scope="session")
def openapi(spec: dict[str, Any], github_server: GitHubStandIn) -> OpenAPI:
    """The spec pointed at this session's servers, uploads on their own host like GitHub."""
    local = copy.deepcopy(spec)
    local["servers"] = [{"url": github_server.api_url}]
    local["paths"][UPLOAD_PATH]["post"]["servers"] = [{"url": github_server.uploads_url}]
    return OpenAPI.from_dict(local)


def component_validator(spec: dict[str, Any], name: str) -> OAS30Validator:
    """A validator for one of the spec's component schemas, resolving its $refs."""
    registry: Registry[Any] = Registry().with_resource("spec", Resource.opaque(spec))
    return OAS30Validator({"$ref": f"spec#/components/schemas/{name}"}, registry=registry)


class Api:
    """A requests client that checks every exchange against the OpenAPI description."""

    def __init__(self, gh: GitHubStandIn, openapi: OpenAPI, spec: dict[str, Any]) -> None:
        self.gh = gh
        self.openapi = openapi
        self.spec = spec
        self.session = requests.Session()
        self.validated = 0  # responses checked against their operation in the spec
        self.session.headers.update(
            {
                "Authorization": f"Bearer {gh.token}",
                "User-Agent": "releasekit-tests",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        )

    def url(self, path: str) -> str:
        return f"{self.gh.api_url}/repos/{self.gh.repository}{path}"

    def call(
        self, method: str, url: str, *, valid_request: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Send, then validate the request (unless told it is bad on purpose) and response."""
        response = self.session.request(method, url, timeout=10, **kwargs)
        openapi_request = RequestsOpenAPIRequest(response.request)
        if valid_request:
            self.openapi.validate_request(openapi_request)
        try:
            self.openapi.validate_response(openapi_request, RequestsOpenAPIResponse(response))
            self.validated += 1
        except ResponseNotFound:
            # A status the spec does not list for this operation: GitHub's basic error.
            self._validate_basic_error(response)
        except (PathNotFound, OperationNotFound, ServerNotFound):
            # Only a route the API does not have (such as an upload sent to the API host).
            assert response.status_code == 404, response.text
            self._validate_basic_error(response)
        return response

    def _validate_basic_error(self, response: requests.Response) -> None:
        body = response.json()
        component_validator(self.spec, "basic-error").validate(body)
        assert body["message"], body

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", self.url(path), **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", self.url(path), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", self.url(path), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", self.url(path), **kwargs)

    def upload(
        self, release: dict[str, Any], name: str, data: bytes, **params: str
    ) -> requests.Response:
        upload_url = release["upload_url"].split("{", 1)[0]
        return self.call(
            "POST",
            upload_url,
            params={"name": name, **params},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )


@pytest.fixture
def api(github_api: GitHubStandIn, openapi: OpenAPI, spec: dict[str, Any]) -> Iterator[Api]:
    client = Api(github_api, openapi, spec)
    yield client
    client.session.close()


def test_env_names_the_servers_repository_and_token(github_api: GitHubStandIn) -> None:
    assert github_api.env() == {
        "GITHUB_API_URL": github_api.api_url,
        "GITHUB_REPOSITORY": "octo-org/project",
        "GITHUB_TOKEN": github_api.token,
    }
    assert github_api.api_url.startswith("http://127.0.0.1:")
    assert github_api.uploads_url.startswith("http://127.0.0.1:")
    assert github_api.uploads_url != github_api.api_url


# -- authentication, headers, repository ------------------------------------------------
BAD_CREDENTIALS = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
    "status": "401",
}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "token wrong", "Basic abc"])
def test_missing_or_wrong_token_is_401_bad_credentials(api: Api, authorization: str | None) -> None:
    response = api.get("/releases/1", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json() == BAD_CREDENTIALS


@pytest.mark.parametrize("scheme", ["Bearer", "token"])
def test_both_token_schemes_are_accepted(api: Api, scheme: str) -> None:
    response = api.get("/releases", headers={"Authorization": f"{scheme} {api.gh.token}"})

    assert response.status_code == 200
    assert response.json() == []


def test_a_request_without_user_agent_is_forbidden(api: Api) -> None:
    # requests always sends a User-Agent; http.client sends none unless told.
    host, port = urlsplit(api.gh.api_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(
        "GET",
        "/repos/octo-org/project/releases",
        headers={"Authorization": f"Bearer {api.gh.token}"},
    )
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()

    assert response.status == 403
    assert "User-Agent" in text
    assert response.getheader("x-ratelimit-limit") is not None


def test_responses_carry_rate_limit_headers_that_count_requests(api: Api) -> None:
    first = api.get("/pulls")
    second = api.get("/pulls")

    for response in (first, second):
        for name in ("limit", "remaining", "reset", "used"):
            assert response.headers[f"x-ratelimit-{name}"].isdigit()
    assert int(second.headers["x-ratelimit-used"]) == int(first.headers["x-ratelimit-used"]) + 1
    assert int(second.headers["x-ratelimit-remaining"]) == (
        int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert int(first.headers["x-ratelimit-reset"]) > time.time()


def test_an_unknown_repository_is_404(api: Api) -> None:
    response = api.call("GET", f"{api.gh.api_url}/repos/octo-org/other/releases")

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_owner_and_repository_names_are_case_insensitive(api: Api) -> None:
    response = api.call("GET", f"{api.gh.api_url}/repos/Octo-Org/Project/releases")

    assert response.status_code == 200


def test_an_unsupported_api_version_is_refused(api: Api) -> None:
    response = api.get("/pulls", headers={"X-GitHub-Api-Version": "1999-01-01"})

    assert response.status_code == 400


def test_a_body_that_is_not_json_is_400(api: Api) -> None:
    response = api.post(
        "/releases",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        valid_request=False,
    )

    assert response.status_code == 400
    assert response.json()["message"] == "Problems parsing JSON"


# -- pagination ----------------------------------------------------------------------------
def links(response: requests.Response) -> dict[str, int]:
    """rel -> page number of the Link header, as a client reads it."""
    return {rel: int(parse_page(link["url"])) for rel, link in response.links.items()}


def parse_page(url: str) -> str:
    return parse_qs(urlsplit(url).query)["page"][0]


def seed_pulls(gh: GitHubStandIn, count: int) -> None:
    for index in range(count):
        gh.add_pull(f"feature-{index}", title=f"PR {index}")


@pytest.mark.parametrize("count", [0, 1, 30])
def test_a_single_page_has_no_link_header(api: Api, count: int) -> None:
    seed_pulls(api.gh, count)

    response = api.get("/pulls")

    assert len(response.json()) == count
    assert "Link" not in response.headers


def test_default_page_size_is_30_with_next_and_last_links(api: Api) -> None:
    seed_pulls(api.gh, 61)

    response = api.get("/pulls")

    assert len(response.json()) == 30
    assert links(response) == {"next": 2, "last": 3}


def test_a_middle_page_links_prev_next_last_and_first(api: Api) -> None:
    seed_pulls(api.gh, 10)

    response = api.get("/pulls", params={"per_page": 3, "page": 2, "state": "open"})

    assert links(response) == {"prev": 1, "next": 3, "last": 4, "first": 1}
    assert "state=open" in response.links["next"]["url"]
    assert "per_page=3" in response.links["next"]["url"]


def test_the_last_page_links_prev_and_first_only(api: Api) -> None:
    seed_pulls(api.gh, 10)

    response = api.get("/pulls", params={"per_page": 3, "page": 4})

    assert len(response.json()) == 1
    assert links(response) == {"prev": 3, "first": 1}


def test_per_page_is_capped_at_100(api: Api) -> None:
    seed_pulls(api.gh, 150)

    response = api.get("/pulls", params={"per_page": 500})

    assert len(response.json()) == 100
    assert links(response) == {"next": 2, "last": 2}


def test_following_next_links_yields_every_item_once_newest_first(api: Api) -> None:
    seed_pulls(api.gh, 25)
    numbers: list[int] = []
    url: str | None = api.url("/pulls?per_page=7")
    while url:
        response = api.call("GET", url)
        numbers += [pull["number"] for pull in response.json()]
        url = response.links.get("next", {}).get("url")

    assert numbers == list(range(25, 0, -1))


def test_releases_and_assets_lists_paginate_too(api: Api) -> None:
    release = api.gh.add_release("v1.0.0")
    for index in range(3):
        api.gh.add_asset(release["id"], f"file-{index}.txt", b"x")
        api.gh.add_release(f"v0.{index}.0")

    assets = api.get(f"/releases/{release['id']}/assets", params={"per_page": 2})
    releases = api.get("/releases", params={"per_page": 2})

    assert links(assets) == {"next": 2, "last": 2}
    assert links(releases) == {"next": 2, "last": 2}


# -- pull requests -------------------------------------------------------------------------
def create_pull(
    api: Api, head: str, base: str = "main", valid_request: bool = True, **fields: Any
) -> requests.Response:
    payload = {"title": f"Merge {head}", "head": head, "base": base, **fields}
    return api.post("/pulls", json=payload, valid_request=valid_request)


def test_creating_pull_requests_numbers_them_sequentially(api: Api) -> None:
    first = create_pull(api, "feature-a", draft=True, body="checklist")
    second = create_pull(api, "octo-org:feature-b")

    assert (first.status_code, second.status_code) == (201, 201)
    assert [first.json()["number"], second.json()["number"]] == [1, 2]
    assert first.json()["draft"] is True
    assert second.json()["draft"] is False
    assert first.json()["head"]["label"] == "octo-org:feature-a"
    assert first.json()["base"]["ref"] == "main"
    assert first.json()["body"] == "checklist"
    assert first.headers["Location"] == first.json()["url"]
    assert [p["number"] for p in api.gh.pulls()] == [1, 2]


def test_a_second_open_pull_for_the_same_head_and_base_is_422(api: Api) -> None:
    create_pull(api, "feature-a")

    response = create_pull(api, "feature-a")

    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Validation Failed"
    assert [e["message"] for e in body["errors"]] == [
        "A pull request already exists for octo-org:feature-a."
    ]
    assert len(api.gh.pulls()) == 1


def test_same_head_to_another_base_or_after_closing_is_allowed(api: Api) -> None:
    create_pull(api, "feature-a")
    api.gh.add_pull("feature-b", state="closed")

    other_base = create_pull(api, "feature-a", base="release")
    after_close = create_pull(api, "feature-b")

    assert (other_base.status_code, after_close.status_code) == (201, 201)


@pytest.mark.parametrize("missing", ["head", "base", "title"])
def test_creating_a_pull_without_a_required_field_is_422(api: Api, missing: str) -> None:
    fields = {"title": "t", "head": "feature", "base": "main"}
    del fields[missing]

    response = api.post("/pulls", json=fields, valid_request=False)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == missing


def test_a_field_of_the_wrong_type_is_422(api: Api) -> None:
    response = create_pull(api, "feature", draft="yes", valid_request=False)

    assert response.status_code == 422
    assert "draft" in response.json()["message"]
    # The same request is one the spec refuses: the request check is not a rubber stamp.
    with pytest.raises(InvalidRequestBody):
        api.openapi.validate_request(RequestsOpenAPIRequest(response.request))


def test_list_filters_by_head_state_and_base(api: Api) -> None:
    api.gh.add_pull("feature-a")
    api.gh.add_pull("feature-a", base="release")
    api.gh.add_pull("feature-a", state="closed")
    api.gh.add_pull("someone:feature-a")
    api.gh.add_pull("feature-b")

    def numbers(**params: str) -> list[int]:
        return sorted(p["number"] for p in api.get("/pulls", params=params).json())

    assert numbers(head="octo-org:feature-a") == [1, 2]
    assert numbers(head="octo-org:feature-a", base="main") == [1]
    assert numbers(head="octo-org:feature-a", state="closed") == [3]
    assert numbers(head="octo-org:feature-a", state="all") == [1, 2, 3]
    assert numbers(head="someone:feature-a") == [4]
    assert numbers(state="all") == [1, 2, 3, 4, 5]


def test_a_head_filter_without_owner_is_ignored_as_on_github(api: Api) -> None:
    api.gh.add_pull("feature-a")
    api.gh.add_pull("feature-b")

    response = api.get("/pulls", params={"head": "feature-a"})

    assert len(response.json()) == 2


def test_get_and_update_a_pull_request(api: Api) -> None:
    number = create_pull(api, "feature-a", draft=True).json()["number"]

    updated = api.patch(f"/pulls/{number}", json={"title": "New", "body": "Edited"})
    closed = api.patch(f"/pulls/{number}", json={"state": "closed"})
    fetched = api.get(f"/pulls/{number}")

    assert (updated.json()["title"], updated.json()["body"]) == ("New", "Edited")
    assert closed.json()["state"] == "closed"
    assert closed.json()["closed_at"] is not None
    assert fetched.json()["state"] == "closed"
    assert api.gh.pulls(state="closed")[0]["title"] == "New"
    assert api.gh.pulls(state="open") == []


def test_patch_ignores_draft_like_github(api: Api) -> None:
    number = create_pull(api, "feature-a", draft=True).json()["number"]

    response = api.patch(f"/pulls/{number}", json={"draft": False})

    assert response.status_code == 200
    assert response.json()["draft"] is True


def test_reopening_when_another_open_pull_has_that_head_is_422(api: Api) -> None:
    closed = api.gh.add_pull("feature-a", state="closed")
    api.gh.add_pull("feature-a")

    response = api.patch(f"/pulls/{closed['number']}", json={"state": "open"})

    assert response.status_code == 422
    assert "already exists" in response.json()["errors"][0]["message"]


def test_an_unknown_pull_request_is_404(api: Api) -> None:
    assert api.get("/pulls/99").status_code == 404
    assert api.patch("/pulls/99", json={"title": "x"}).status_code == 404


# -- releases --------------------------------------------------------------------------------
def create_release(api: Api, tag: str, **fields: Any) -> requests.Response:
    return api.post("/releases", json={"tag_name": tag, **fields})


def test_create_and_get_a_release(api: Api) -> None:
    created = create_release(api, "v1.0.0", name="1.0.0", body="Notes", draft=True)
    release = created.json()

    fetched = api.get(f"/releases/{release['id']}").json()

    assert created.status_code == 201
    assert (fetched["tag_name"], fetched["name"], fetched["body"]) == ("v1.0.0", "1.0.0", "Notes")
    assert fetched["draft"] is True
    assert fetched["published_at"] is None
    assert fetched["assets"] == []
    assert api.gh.releases() == [fetched]


def test_a_second_published_release_for_a_tag_is_422_already_exists(api: Api) -> None:
    create_release(api, "v1.0.0")

    response = create_release(api, "v1.0.0")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"resource": "Release", "code": "already_exists", "field": "tag_name"}
    ]
    assert len(api.gh.releases()) == 1


def test_drafts_may_share_a_tag_even_with_a_published_release(api: Api) -> None:
    first = create_release(api, "v1.0.0", draft=True)
    second = create_release(api, "v1.0.0", draft=True)
    published = create_release(api, "v1.0.0")

    assert [r.status_code for r in (first, second, published)] == [201, 201, 201]
    assert len(api.gh.releases()) == 3


def test_get_by_tag_never_returns_a_draft(api: Api) -> None:
    create_release(api, "v1.0.0", draft=True)

    assert api.get("/releases/tags/v1.0.0").status_code == 404

    published = create_release(api, "v1.0.0").json()
    assert api.get("/releases/tags/v1.0.0").json()["id"] == published["id"]


def test_list_includes_drafts_newest_first(api: Api) -> None:
    older = create_release(api, "v1.0.0").json()
    newer = create_release(api, "v1.1.0", draft=True).json()

    listed = api.get("/releases").json()

    assert [r["id"] for r in listed] == [newer["id"], older["id"]]


def test_publishing_a_draft_sets_published_at(api: Api) -> None:
    draft = create_release(api, "v1.0.0", draft=True).json()

    published = api.patch(f"/releases/{draft['id']}", json={"draft": False, "body": "Final"})

    assert published.json()["draft"] is False
    assert published.json()["published_at"] is not None
    assert published.json()["body"] == "Final"
    assert api.get("/releases/tags/v1.0.0").json()["id"] == draft["id"]


def test_publishing_a_draft_whose_tag_is_already_published_is_422(api: Api) -> None:
    create_release(api, "v1.0.0")
    draft = create_release(api, "v1.0.0", draft=True).json()

    response = api.patch(f"/releases/{draft['id']}", json={"draft": False})

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "already_exists"


def test_deleting_a_release_removes_it_and_its_assets(api: Api) -> None:
    release = create_release(api, "v1.0.0", draft=True).json()
    asset = api.upload(release, "notes.txt", b"hi").json()

    deleted = api.delete(f"/releases/{release['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert api.get(f"/releases/{release['id']}").status_code == 404
    assert api.get(f"/releases/assets/{asset['id']}").status_code == 404
    assert api.gh.releases() == []


def test_a_release_without_tag_name_is_422(api: Api) -> None:
    response = api.post("/releases", json={"name": "x"}, valid_request=False)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tag_name"


# -- release assets --------------------------------------------------------------------------
def test_upload_url_points_at_the_separate_uploads_host(api: Api) -> None:
    release = create_release(api, "v1.0.0", draft=True).json()

    assert release["upload_url"] == (
        f"{api.gh.uploads_url}/repos/octo-org/project/releases/{release['id']}"
        "/assets{?name,label}"
    )


def test_the_api_host_answers_404_to_an_upload(api: Api) -> None:
    release = create_release(api, "v1.0.0", draft=True).json()

    response = api.post(
        f"/releases/{release['id']}/assets",
        params={"name": "a.txt"},
        data=b"data",
        headers={"Content-Type": "application/octet-stream"},
        valid_request=False,
    )

    assert response.status_code == 404
    assert api.gh.assets(release["id"]) == []


def test_upload_stores_the_bytes_and_describes_the_asset(api: Api) -> None:
    release = create_release(api, "v1.0.0", draft=True).json()
    data = b"\x00wheel bytes\xff" * 100

    response = api.upload(release, "pkg-1.0.0-py3-none-any.whl", data, label="The wheel")

    assert response.status_code == 201
    asset = response.json()
    assert asset["name"] == "pkg-1.0.0-py3-none-any.whl"
    assert asset["label"] == "The wheel"
    assert asset["size"] == len(data)
    assert asset["state"] == "uploaded"
    assert asset["content_type"] == "application/octet-stream"
    assert asset["browser_download_url"].endswith("/releases/download/v1.0.0/" + asset["name"])
    assert api.gh.asset_bytes(asset["id"]) == data
    assert api.gh.assets(release["id"]) == [asset]
    assert api.get(f"/releases/{release['id']}").json()["assets"] == [asset]


def test_upload_keeps_the_content_type_it_was_sent_with(api: Api) -> None:
    release = api.gh.add_release("v1.0.0")
    upload_url = release["upload_url"].split("{", 1)[0]

    response = api.session.post(
        upload_url,
        params={"name": "CHANGES.rst"},
        data=b"Changes\n=======\n",
        headers={"Content-Type": "text/x-rst"},
        timeout=10,
    )

    assert response.json()["content_type"] == "text/x-rst"


def test_a_duplicate_asset_name_is_422_already_exists(api: Api) -> None:
    release = create_release(api, "v1.0.0", draft=True).json()
    api.upload(release, "a.txt", b"one")

    response = api.upload(release, "a.txt", b"two")

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "already_exists"
    assert [api.gh.asset_bytes(a["id"]) for a in api.gh.assets(release["id"])] == [b"one"]


def test_the_same_asset_name_on_another_release_is_fine(api: Api) -> None:
    first = create_release(api, "v1.0.0", draft=True).json()
    second = create_release(api, "v1.1.0", draft=True).json()
    api.upload(first, "a.txt", b"one")

    assert api.upload(second, "a.txt", b"two").status_code == 201


def test_list_get_download_and_delete_an_asset(api: Api) -> None:
    release = create_release(api, "v1.0.0").json()
    asset = api.upload(release, "a.txt", b"content").json()

    listed = api.get(f"/releases/{release['id']}/assets").json()
    fetched = api.get(f"/releases/assets/{asset['id']}").json()
    downloaded = api.session.get(
        asset["url"], headers={"Accept": "application/octet-stream"}, timeout=10
    )
    deleted = api.delete(f"/releases/assets/{asset['id']}")

    assert listed == [asset]
    assert fetched == asset
    assert downloaded.content == b"content"
    assert deleted.status_code == 204
    assert api.gh.assets(release["id"]) == []


def test_renaming_an_asset_onto_another_name_is_422(api: Api) -> None:
    release = api.gh.add_release("v1.0.0")
    api.gh.add_asset(release["id"], "a.txt", b"a")
    other = api.gh.add_asset(release["id"], "b.txt", b"b")

    clash = api.patch(f"/releases/assets/{other['id']}", json={"name": "a.txt"})
    renamed = api.patch(f"/releases/assets/{other['id']}", json={"name": "c.txt"})

    assert clash.status_code == 422
    assert renamed.json()["name"] == "c.txt"


# -- rate limits and faults ------------------------------------------------------------------
@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit(api: Api, status: int) -> None:
    api.gh.rate_limit("primary", status=status, reset_in=60)

    limited = api.get("/releases")
    after = api.get("/releases")

    assert limited.status_code == status
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > time.time()
    assert limited.json()["message"].startswith("API rate limit exceeded")
    assert after.status_code == 200


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit(api: Api, status: int) -> None:
    api.gh.rate_limit("secondary", status=status, retry_after=7, times=2)

    limited = [api.get("/releases") for _ in range(2)]
    after = api.get("/releases")

    for response in limited:
        assert response.status_code == status
        assert response.headers["retry-after"] == "7"
        assert response.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert after.status_code == 200


def test_secondary_rate_limit_without_retry_after(api: Api) -> None:
    api.gh.rate_limit("secondary", status=403, retry_after=None)

    limited = api.get("/releases")

    assert limited.status_code == 403
    assert "retry-after" not in limited.headers
    assert limited.json()["message"].startswith("You have exceeded a secondary rate limit")


def test_an_injected_status_hits_only_matching_requests(api: Api) -> None:
    api.gh.fail(502, times=2, method="POST", path_regex=r"/releases$", body={"message": "Bad"})

    untouched = api.get("/releases")
    failed = [create_release(api, f"v1.0.{i}").status_code for i in range(2)]
    recovered = create_release(api, "v1.0.9")

    assert untouched.status_code == 200
    assert failed == [502, 502]
    assert api.gh.requests[-2].body and recovered.status_code == 201
    assert [r["tag_name"] for r in api.gh.releases()] == ["v1.0.9"]


def test_an_error_after_the_fact_keeps_the_change(api: Api) -> None:
    release = api.gh.add_release("v1.0.0", draft=True)
    api.gh.fail(502, method="POST", path_regex=r"/assets$", after=True)

    failed = api.upload(release, "a.txt", b"a")
    again = api.upload(release, "a.txt", b"a")

    assert failed.status_code == 502
    assert again.status_code == 422  # the first upload did land
    assert [a["name"] for a in api.gh.assets(release["id"])] == ["a.txt"]


def test_an_injected_status_has_a_github_like_body_by_default(api: Api) -> None:
    api.gh.fail(503)

    response = api.get("/pulls/1")

    assert response.status_code == 503
    assert response.json()["message"] == "Service Unavailable"


def test_a_dropped_connection_gives_no_response(api: Api) -> None:
    api.gh.drop(method="GET")

    with pytest.raises(requests.ConnectionError):
        api.session.get(api.url("/releases"), timeout=10)
    assert api.get("/releases").status_code == 200


def test_faults_apply_on_the_uploads_host_too(api: Api) -> None:
    release = api.gh.add_release("v1.0.0")
    api.gh.drop(path_regex=r"/assets$")

    with pytest.raises(requests.ConnectionError):
        api.upload(release, "a.txt", b"a")
    assert api.upload(release, "a.txt", b"a").status_code == 201


def test_a_delay_holds_the_response_back(api: Api) -> None:
    api.gh.delay(3, path_regex="/pulls")

    with pytest.raises(requests.ReadTimeout):
        api.session.get(api.url("/pulls"), timeout=0.5)
    assert api.get("/pulls").status_code == 200


def test_rate_limit_rejects_unknown_kinds(github_api: GitHubStandIn) -> None:
    with pytest.raises(ValueError, match="primary"):
        github_api.rate_limit("tertiary")


# -- the request log and reset --------------------------------------------------------------
def test_every_request_is_recorded(api: Api) -> None:
    create_release(api, "v1.0.0", draft=True)
    api.get("/releases", params={"per_page": 5})

    post, get = api.gh.requests
    assert (post.method, post.path, post.server) == (
        "POST",
        "/repos/octo-org/project/releases",
        "api",
    )
    assert post.json() == {"tag_name": "v1.0.0", "draft": True}
    assert post.headers["authorization"] == f"Bearer {api.gh.token}"
    assert get.query == {"per_page": ["5"]}


def test_reset_forgets_state_faults_and_requests(api: Api) -> None:
    api.gh.add_pull("feature")
    api.gh.add_release("v1.0.0")
    api.gh.fail(500, times=5)
    api.get("/pulls")

    api.gh.reset()

    assert api.gh.requests == []
    assert api.gh.pulls() == [] and api.gh.releases() == []
    assert api.get("/pulls").status_code == 200
    assert api.gh.add_pull("feature")["number"] == 1


# -- shapes of seeded state -----------------------------------------------------------------
def test_seeded_objects_match_the_component_schemas(
    github_api: GitHubStandIn, spec: dict[str, Any]
) -> None:
    github_api.add_pull("feature", draft=False, state="closed", user="dependabot[bot]")
    release = github_api.add_release("v1.0.0", name="1.0.0", body="Notes", prerelease=True)
    github_api.add_asset(release["id"], "pkg.tar.gz", b"tar", "application/gzip", label="sdist")

    for pull in github_api.pulls():
        component_validator(spec, "pull-request").validate(pull)
    for seeded in github_api.releases():
        component_validator(spec, "release").validate(seeded)
        for asset in github_api.assets(seeded["id"]):
            component_validator(spec, "release-asset").validate(asset)


def test_the_schema_check_catches_a_malformed_object(
    github_api: GitHubStandIn, spec: dict[str, Any]
) -> None:
    release = github_api.add_release("v1.0.0")
    del release["upload_url"]

    assert not component_validator(spec, "release").is_valid(release)


def test_the_openapi_response_check_is_not_a_rubber_stamp(api: Api) -> None:
    response = create_release(api, "v1.0.0")
    assert api.validated == 1

    broken = response.json()
    del broken["upload_url"]
    response._content = json.dumps(broken).encode()

    with pytest.raises(InvalidData):
        api.openapi.validate_response(
            RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
        )


def test_every_documented_exchange_of_a_test_is_checked(api: Api) -> None:
    release = create_release(api, "v1.0.0", draft=True).json()
    api.upload(release, "a.txt", b"a")
    api.get(f"/releases/{release['id']}/assets")
    create_pull(api, "feature")
    api.get("/pulls", params={"head": "octo-org:feature"})

    assert api.validated == 5


# -- as a process -----------------------------------------------------------------------------
def test_runs_as_a_process_until_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.peers.github_api",
            "--token",
            "t0ken",
            "--repository",
            "acme/widget",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, f"no ready line; stderr: {process.stderr.read() if process.stderr else ''}"
        ready = json.loads(line)
        headers = {"Authorization": "token t0ken", "User-Agent": "demo"}
        created = requests.post(
            f"{ready['api_url']}/repos/acme/widget/releases",
            json={"tag_name": "v2.0.0", "draft": True},
            headers=headers,
            timeout=10,
        )
        uploaded = requests.post(
            created.json()["upload_url"].split("{")[0],
            params={"name": "notes.txt"},
            data=b"notes",
            headers={**headers, "Content-Type": "text/plain"},
            timeout=10,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)

    assert ready["token"] == "t0ken" and ready["repository"] == "acme/widget"
    assert ready["uploads_url"].startswith("http://127.0.0.1:")
    assert created.status_code == 201
    assert uploaded.status_code == 201
    assert process.returncode == 0, stderr


def test_the_process_refuses_a_malformed_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.peers.github_api", "--repository", "no-slash"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "owner/name" in result.stderr
    assert result.stdout == ""


def test_a_workflow_dispatch_is_answered_as_described(
    api: Api, github_server: GitHubStandIn
) -> None:
    """POST .../actions/workflows/{file}/dispatches: 204 and the run recorded; a workflow
    the repository lacks is GitHub's 404."""
    done = api.post("/actions/workflows/ci.yml/dispatches", json={"ref": "refs/tags/v1.0.0"})
    assert done.status_code == 204
    assert github_server.dispatches == [("ci.yml", "refs/tags/v1.0.0")]
    assert (
        api.post("/actions/workflows/nope.yml/dispatches", json={"ref": "main"}).status_code == 404
    )


def test_no_draft_pull_requests_is_a_422_basic_error(
    api: Api, github_server: GitHubStandIn
) -> None:
    github_server.drafts_supported = False
    done = api.post("/pulls", json={"title": "t", "head": "topic", "base": "main", "draft": True})
    assert done.status_code == 422
    assert done.json()["message"] == "Draft pull requests are not supported in this repository."
