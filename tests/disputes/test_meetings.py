"""Joint meetings: scheduling, the agenda shown only as far as one may see it, minutes, and
decisions that become tasks tracked to done."""

from __future__ import annotations

from typing import Any

import pytest

from jingwu.disputes.models import Case, JointMeeting, MeetingTask, TaskStatus

pytestmark = pytest.mark.django_db


def test_the_demo_meeting_took_the_water_leak_through_its_tasks(api: Any) -> None:
    held = JointMeeting.objects.get(title="三月联席会议：矛盾纠纷摸排")
    m = api("community_chongxian").get(f"/api/v1/disputes/meetings/{held.pk}").json()
    assert m["status"] == "held" and "检测机构" in m["minutes"]
    assert {a["name"] for a in m["attendees"] if a["present"]} == {
        "林建华",
        "郑秀英",
        "王丽",
        "黄明",
    }
    assert [(t["text"][:4], t["status"]) for t in m["tasks"]] == [
        ("分别与李", "done"),
        ("联系专业", "done"),
    ]


def test_an_agenda_case_is_shown_only_to_those_who_may_see_it(api: Any) -> None:
    upcoming = JointMeeting.objects.get(title="四月联席会议")
    chief = api("chief_chongxian").get(f"/api/v1/disputes/meetings/{upcoming.pk}").json()
    school = api("school_gushan").get(f"/api/v1/disputes/meetings/{upcoming.pk}").json()
    assert "楼上夜间噪音纠纷" in [a["title"] for a in chief["agenda"]]
    # The school director attends, but is no participant of the noise case.
    assert "楼上夜间噪音纠纷" not in [a["title"] for a in school["agenda"]]
    assert len(school["agenda"]) == len(chief["agenda"]) - 1
    assert api("duty_taihe").get(f"/api/v1/disputes/meetings/{upcoming.pk}").status_code == 404
    assert api("outsider").get(f"/api/v1/disputes/meetings/{upcoming.pk}").status_code == 404


def test_a_meeting_is_run_from_schedule_to_done_tasks(api: Any) -> None:
    chief = api("chief_chongxian")
    noise = Case.objects.get(title="楼上夜间噪音纠纷")
    r = chief.post(
        "/api/v1/disputes/meetings",
        {
            "title": "临时联席会议",
            "scheduled_at": "2026-05-06T15:00:00+08:00",
            "place": "崇贤智慧警务站",
            "attendees": ["community_chongxian", "property_chongxian"],
            "case_ids": [noise.pk],
        },
    )
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    r = chief.post(
        f"/api/v1/disputes/meetings/{mid}/minutes",
        {
            "minutes": "研究噪音纠纷化解方案。",
            "present": ["chief_chongxian", "community_chongxian"],
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "held"
    r = chief.post(
        f"/api/v1/disputes/meetings/{mid}/tasks",
        {
            "text": "约谈双方",
            "owner": "community_chongxian",
            "due_on": "2026-05-10",
            "case_id": noise.pk,
        },
    )
    assert r.status_code == 201, r.content
    task_id = r.json()["id"]
    assert [
        t["id"] for t in api("community_chongxian").get("/api/v1/disputes/tasks").json()["items"]
    ] == [task_id]
    other = api("property_chongxian").post(f"/api/v1/disputes/tasks/{task_id}/done", {})
    assert other.status_code == 403
    assert other.json()["detail"][0]["msg"] == "只有责任人或会议召集人可以办结此事项。"
    done = api("community_chongxian").post(
        f"/api/v1/disputes/tasks/{task_id}/done", {"note": "已约谈"}
    )
    assert done.status_code == 200 and MeetingTask.objects.get(pk=task_id).status == TaskStatus.DONE
    twice = api("community_chongxian").post(f"/api/v1/disputes/tasks/{task_id}/done", {})
    assert twice.status_code == 409 and twice.json()["detail"][0]["msg"] == "该事项已办结。"


def test_meeting_input_is_checked(api: Any) -> None:
    chief = api("chief_chongxian")
    r = chief.post(
        "/api/v1/disputes/meetings", {"title": "", "scheduled_at": "2026-05-06T15:00:00+08:00"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["title"]
    r = chief.post(
        "/api/v1/disputes/meetings",
        {"title": "x", "scheduled_at": "2026-05-06T15:00:00+08:00", "attendees": ["nobody"]},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0] == {
        "type": "invalid",
        "msg": "账号不存在：nobody",
        "loc": ["attendees", 0],
    }
    wages = Case.objects.get(title="工地欠薪纠纷")  # not visible to the chief
    r = chief.post(
        "/api/v1/disputes/meetings",
        {"title": "x", "scheduled_at": "2026-05-06T15:00:00+08:00", "case_ids": [wages.pk]},
    )
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["case_ids", 0]
    assert not JointMeeting.objects.filter(title="x").exists()
    r = api("property_chongxian").post(
        "/api/v1/disputes/meetings", {"title": "y", "scheduled_at": "2026-05-06T15:00:00+08:00"}
    )
    assert r.status_code == 422  # runs no workstation: which one?
    upcoming = JointMeeting.objects.get(title="四月联席会议")
    r = chief.post(
        f"/api/v1/disputes/meetings/{upcoming.pk}/tasks",
        {"text": "x", "owner": "community_chongxian", "due_on": "2000-01-01"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["due_on"]
