"""Need to know, generated: every endpoint and page × every persona × demo cases they do and do
not take part in. Who may see what is written out here by hand (the oracle), from the demo's
story, not computed by the code under test. Nobody learns of a case they may not see: not by id
(404), not in a list, a search, a count, a figure, an export or the home page.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingwu.disputes.models import Case, TimelineEntry
from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

ALL = set(PERSONAS)
#: Demo case title → the personas who may see it, and why.
VISIBLE = {
    # Participants: chief (lead mediator), community, lawyer (co-mediators), property (party);
    # police of the jurisdiction: the chief's 崇贤 police room, the branch commander.
    "崇贤某新建小区楼上楼下漏水纠纷": {
        "chief_chongxian",
        "community_chongxian",
        "lawyer_jinan",
        "property_chongxian",
        "commander_jinan",
    },
    "楼上夜间噪音纠纷": {"chief_chongxian", "commander_jinan"},
    "物业费与停车位收费纠纷": {"chief_chongxian", "community_chongxian", "commander_jinan"},
    # Same workstation (崇贤) but another police room (鹿溪): the 崇贤 grid chief does not see it.
    "工地欠薪纠纷": {"commander_jinan"},
    "商场预付卡退款纠纷": {"duty_taihe", "lawyer_jinan", "commander_jinan"},
    # A clerk of the 龙头 workstation is not police: she does not see its disputes.
    "赡养费纠纷": {"commander_jinan"},
}
TITLES = sorted(VISIBLE)

ONE_CASE_GETS = [
    "/api/v1/disputes/cases/{id}",
    "/api/v1/disputes/cases/{id}/timeline",
    "/api/v1/disputes/cases/{id}/duplicates",
    "/api/v1/disputes/cases/{id}/risk",
    "/api/v1/disputes/cases/{id}/agreement.docx",
    "/api/v1/disputes/cases/{id}/agreement.pdf",
    "/api/v1/disputes/cases/{id}/agreement/verify",
    "page:/disputes/cases/{id}/",
    "page:/disputes/cases/{id}/timeline/",
    "page:/disputes/cases/{id}/agreement.pdf",
]
ONE_CASE_POSTS = [
    ("/api/v1/disputes/cases/{id}/transitions", {"to": "screening"}),
    ("/api/v1/disputes/cases/{id}/participants", {"username": "outsider", "role": "observer"}),
    ("/api/v1/disputes/cases/{id}/parties", {"name": "某人"}),
    ("/api/v1/disputes/cases/{id}/timeline", {"kind": "note", "text": "探一探"}),
    ("/api/v1/disputes/cases/{id}/merge", {"into": 1}),
    (
        "/api/v1/disputes/cases/{id}/sessions",
        {"held_at": "2026-01-01T10:00:00+08:00", "place": "x", "summary": "x"},
    ),
    ("/api/v1/disputes/cases/{id}/agreement", {"facts": "x", "terms": ["x"], "performance": "x"}),
    ("/api/v1/disputes/cases/{id}/agreement/verify", {"data_base64": "JVBERg=="}),
    ("page:/disputes/cases/{id}/transition/", {"to": "screening"}),
    ("page:/disputes/cases/{id}/entry/", {"kind": "note", "text": "探一探"}),
    ("page:/disputes/cases/{id}/participant/", {"username": "outsider", "role": "observer"}),
]
COLLECTIONS = [
    "/api/v1/disputes/cases",
    "/api/v1/disputes/cases?q={title}",
    "/api/v1/disputes/risk/rising",
    "/api/v1/disputes/export.csv",
    "/api/v1/disputes/meetings",
    "page:/disputes/cases/",
    "page:/disputes/cases/?q={title}",
    "page:/disputes/risk/",
    "page:/disputes/",
    "page:/",
]


class Callers:
    """An API client (bearer token) and a page client (session) per persona."""

    def __init__(self, api: Any) -> None:
        self.api = {name: api(name) for name in PERSONAS}
        self.pages = {}
        for name in PERSONAS:
            c = Client()
            c.force_login(get_user_model().objects.get(username=name))
            self.pages[name] = c

    def get(self, who: str, url: str) -> Any:
        if url.startswith("page:"):
            return self.pages[who].get(url[5:])
        return self.api[who].get(url)

    def post(self, who: str, url: str, body: dict[str, Any]) -> Any:
        if url.startswith("page:"):
            return self.pages[who].post(url[5:], body)
        return self.api[who].post(url, body)


@pytest.fixture
def callers(api: Any) -> Callers:
    return Callers(api)


@pytest.fixture
def case_ids(demo: None) -> dict[str, int]:
    return dict(Case.objects.filter(title__in=TITLES).values_list("title", "pk"))


def _body(r: Any) -> str:
    """The response as text, JSON un-escaped (so a title in it is found as typed)."""
    kind = r.get("Content-Type", "")
    if kind.startswith(("application/pdf", "application/vnd")):
        return ""
    if kind.startswith("application/json"):
        return json.dumps(r.json(), ensure_ascii=False)
    return r.content.decode("utf-8", "replace")


def test_the_oracle_matches_the_demo(case_ids: dict[str, int]) -> None:
    assert set(case_ids) == set(TITLES)


@settings(
    max_examples=160, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    url=st.sampled_from(ONE_CASE_GETS), who=st.sampled_from(PERSONAS), title=st.sampled_from(TITLES)
)
def test_reading_one_case(
    callers: Callers, case_ids: dict[str, int], url: str, who: str, title: str
) -> None:
    case_id = case_ids[title]
    r = callers.get(who, url.format(id=case_id))
    if who in VISIBLE[title]:
        # Visible: served, or refused for a reason about the case itself (no agreement yet).
        assert r.status_code in (200, 404, 409), (who, url, r.status_code)
        if r.status_code == 404:
            assert "agreement" in url and "尚未出具" in _body(r)
    else:
        assert r.status_code == 404, (who, url, r.status_code)
        body = _body(r)
        assert title not in body and f"{case_id:05d}" not in body
        assert "尚未出具" not in body  # the same answer as for a case that does not exist


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(ONE_CASE_POSTS),
    who=st.sampled_from(PERSONAS),
    title=st.sampled_from(TITLES),
)
def test_changing_a_case_one_may_not_see_is_not_found_and_writes_nothing(
    callers: Callers,
    case_ids: dict[str, int],
    action: tuple[str, dict[str, Any]],
    who: str,
    title: str,
) -> None:
    if who in VISIBLE[title]:
        return  # what visible people may change is tested with the use cases
    case_id = case_ids[title]
    before = (
        Case.objects.get(pk=case_id).updated_at,
        TimelineEntry.objects.filter(case_id=case_id).count(),
    )
    url, body = action
    r = callers.post(who, url.format(id=case_id), body)
    assert r.status_code == 404, (who, url, r.status_code, r.content[:200])
    assert title not in _body(r)
    after = (
        Case.objects.get(pk=case_id).updated_at,
        TimelineEntry.objects.filter(case_id=case_id).count(),
    )
    assert after == before


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    url=st.sampled_from(COLLECTIONS), who=st.sampled_from(PERSONAS), title=st.sampled_from(TITLES)
)
def test_lists_searches_exports_and_home_show_only_visible_cases(
    callers: Callers, url: str, who: str, title: str
) -> None:
    r = callers.get(who, url.format(title=title))
    assert r.status_code == 200, (who, url, r.status_code)
    body = _body(r)
    if "risk/rising" in url or url.endswith("/risk/") or url in ("page:/", "page:/disputes/"):
        # Partial lists (rising risk, home alerts, my open cases): never an invisible case.
        if who not in VISIBLE[title]:
            assert title not in body, (who, url)
        return
    if "meetings" in url:
        assert title not in body  # meeting lists carry titles of meetings only
        return
    # A page shows a case as a link text, not as the search box's echo of the query.
    shown = f">{title}<" in body if url.startswith("page:") else title in body
    assert shown == (who in VISIBLE[title]), (who, url)


@pytest.mark.parametrize("who", PERSONAS)
def test_counts_and_figures_count_only_visible_cases(callers: Callers, who: str) -> None:
    expected = sum(1 for t in TITLES if who in VISIBLE[t])
    assert callers.get(who, "/api/v1/disputes/cases").json()["count"] == expected
    figures = callers.get(who, "/api/v1/disputes/figures").json()
    assert figures["total"] == expected
    assert sum(r["count"] for r in figures["by_type"]) == expected
    assert sum(r["count"] for r in figures["by_month"]) == expected
    rows = _body(callers.get(who, "/api/v1/disputes/export.csv")).strip().splitlines()
    assert len(rows) == 1 + expected
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(callers.get(who, "/api/v1/disputes/export.xlsx").content))
    assert wb.worksheets[0].max_row == 1 + expected


def test_the_outsider_sees_nothing_anywhere(callers: Callers, case_ids: dict[str, int]) -> None:
    for title, case_id in case_ids.items():
        for url in ONE_CASE_GETS:
            r = callers.get("outsider", url.format(id=case_id))
            assert r.status_code == 404 and title not in _body(r), url
    assert callers.get("outsider", "/api/v1/disputes/cases").json() == {"items": [], "count": 0}
    assert callers.get("outsider", "/api/v1/disputes/leads").json() == {"items": [], "count": 0}
    assert callers.get("outsider", "/api/v1/disputes/meetings").json()["count"] == 0
    assert callers.get("outsider", "/api/v1/disputes/groups").json()["count"] == 0
    assert callers.get("outsider", "/api/v1/disputes/risk/rising").json()["count"] == 0
    assert callers.get("outsider", "/api/v1/disputes/figures").json()["leads"] == 0
    home = _body(callers.get("outsider", "page:/"))
    assert "纠纷预警" not in home and "双解主任群" not in home


def test_anonymous_callers_are_refused(api: Any, case_ids: dict[str, int]) -> None:
    r = api().get(f"/api/v1/disputes/cases/{case_ids[TITLES[0]]}")
    assert r.status_code == 401
    assert r.json()["detail"][0]["type"] == "unauthenticated"
    page = Client().get(f"/disputes/cases/{case_ids[TITLES[0]]}/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")


#: The 崇贤 directors' group's leads and meetings: its members, and the police of 崇贤
#: (the chief's room, the branch commander). Not the 泰禾 duty officer, the clerk, the outsider.
CHONGXIAN = {
    "chief_chongxian",
    "community_chongxian",
    "property_chongxian",
    "lawyer_jinan",
    "commander_jinan",
}
LEAD_TEXT = "5号楼加装电梯，低层住户反对，高低层业主在业主群争吵。"
MEETING = "四月联席会议"
LEAD_AND_MEETING_CALLS = [
    ("get", "/api/v1/disputes/leads/{lead}", None),
    ("get", "page:/disputes/board/leads/?group={group}", None),
    ("get", "/api/v1/disputes/meetings/{meeting}", None),
    ("get", "page:/disputes/meetings/{meeting}/", None),
    ("post", "/api/v1/disputes/leads/{lead}/promote", {}),
    ("post", "/api/v1/disputes/leads/{lead}/merge", {"case_id": 1}),
    ("post", "/api/v1/disputes/leads/{lead}/dismiss", {"reason": "探一探"}),
    ("post", "/api/v1/disputes/meetings/{meeting}/minutes", {"minutes": "探一探"}),
    (
        "post",
        "/api/v1/disputes/meetings/{meeting}/tasks",
        {"text": "x", "owner": "outsider", "due_on": "2099-01-01"},
    ),
    ("post", "page:/disputes/leads/{lead}/dismiss/", {"reason": "探一探"}),
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=st.sampled_from(LEAD_AND_MEETING_CALLS), who=st.sampled_from(PERSONAS))
def test_leads_and_meetings_of_a_group_stay_in_the_group(
    callers: Callers, call: tuple[str, str, Any], who: str
) -> None:
    from jingwu.disputes.models import JointMeeting, Lead

    lead = Lead.objects.get(text=LEAD_TEXT)
    meeting = JointMeeting.objects.get(title=MEETING)
    method, url, body = call
    url = url.format(lead=lead.pk, group=lead.group_id, meeting=meeting.pk)
    if who in CHONGXIAN:
        if method == "get":  # what members may change is tested with the use cases
            r = callers.get(who, url)
            assert r.status_code == 200 and (LEAD_TEXT in _body(r) or MEETING in _body(r)), url
        return
    r = callers.get(who, url) if method == "get" else callers.post(who, url, body)
    assert LEAD_TEXT not in _body(r) and MEETING not in _body(r)
    if "board/leads" in url:
        assert r.status_code == 200  # an empty list for a group one is not in
    else:
        assert r.status_code == 404, (who, url, r.status_code)
    lead.refresh_from_db()
    assert lead.status == "open"
    assert JointMeeting.objects.get(pk=meeting.pk).minutes == ""
