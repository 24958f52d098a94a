"""The duplicate index returns exactly what scoring every document one by one returns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jingwu.disputes.similarity import (
    Doc,
    DuplicateIndex,
    brute_force,
    haversine_m,
    nearness,
    party_keys,
    party_overlap,
)

WORDS = [f"w{i}" for i in range(40)]
PEOPLE = ["name:李明", "name:洪亮", "tel:13905910001", "id:350111198601010011"]


def _doc(key: int, tokens: list[str], dlat: float, dlon: float, parties: list[str]) -> Doc:
    return Doc(("case", key), frozenset(tokens), 26.07 + dlat, 119.35 + dlon, frozenset(parties))


docs_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=8),
        st.floats(-0.01, 0.01),
        st.floats(-0.01, 0.01),
        st.lists(st.sampled_from(PEOPLE), max_size=2),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(docs=docs_strategy, query=docs_strategy, removed=st.sets(st.integers(0, 59)))
def test_index_query_equals_scoring_every_document(docs, query, removed) -> None:
    index = DuplicateIndex(max_df_ratio=0.05, rerank=10)
    for i, (tokens, dlat, dlon, parties) in enumerate(docs):
        index.add(_doc(i, tokens, dlat, dlon, parties))
    for i in removed:
        index.remove(("case", i))
    tokens, dlat, dlon, parties = query[0]
    q = Doc(("lead", 0), frozenset(tokens), 26.07 + dlat, 119.35 + dlon, frozenset(parties))
    got = index.query(q, threshold=0.3, limit=50)
    want = brute_force(q, list(index.docs()), index.df, len(index), threshold=0.3, limit=50)
    assert [m.key for m in got] == [m.key for m in want]
    for a, b in zip(got, want, strict=True):
        assert abs(a.score - b.score) < 1e-9


def test_a_reworded_report_next_door_is_found_and_a_far_unrelated_one_is_not() -> None:
    index = DuplicateIndex()
    index.add(
        Doc(
            ("case", 1),
            frozenset({"卫生间", "天花板", "漏水", "装修", "管路"}),
            26.0700,
            119.3500,
            party_keys(names=["李先生"]),
        )
    )
    index.add(Doc(("case", 2), frozenset({"欠薪", "工地", "工资"}), 26.1500, 119.3000))
    lead = Doc(
        ("lead", 9),
        frozenset({"楼上", "装修", "漏水", "天花板"}),
        26.07005,
        119.35003,
        party_keys(names=["李先生"]),
    )
    matches = index.query(lead)
    assert [m.key for m in matches] == [("case", 1)]
    assert matches[0].distance_m < 10 and matches[0].party == 0.6


def test_distance_nearness_and_party_rules() -> None:
    assert 110_000 < haversine_m(26.0, 119.0, 27.0, 119.0) < 112_000
    assert nearness(10) == 1.0 and nearness(600) == 0.0 and 0.4 < nearness(275) < 0.6
    a = party_keys(names=["李先生"], phones=["139 0591 0001"])
    assert party_overlap(a, party_keys(phones=["13905910001"])) == 1.0
    assert party_overlap(a, party_keys(names=["李先生"])) == 0.6
    assert party_overlap(a, party_keys(names=["王女士"])) == 0.0


def test_removed_documents_are_not_returned() -> None:
    index = DuplicateIndex()
    doc = Doc(("case", 1), frozenset({"漏水"}), 26.07, 119.35)
    index.add(doc)
    index.remove(("case", 1))
    assert index.query(Doc(("lead", 1), frozenset({"漏水"}), 26.07, 119.35)) == []
    assert len(index) == 0 and "漏水" not in index.df
