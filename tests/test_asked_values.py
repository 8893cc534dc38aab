"""The value a question asks for (a year, a count, a price) and whether a page states it."""

from __future__ import annotations

from agent.asked_values import asked_values, missing_values


def test_recognises_years_counts_and_prices():
    assert asked_values("In which year did the field start production?") == [("year", "")]
    assert asked_values("When was the first reflection survey shot?") == [("year", "")]
    assert asked_values("How many ocean-bottom nodes were deployed?") == [("count", "node")]
    assert asked_values("How many independent components does the tensor have?") == [
        ("count", "component")
    ]
    assert asked_values("What does an airborne EM survey cost per line-kilometre?") == [
        ("price", "")
    ]
    assert asked_values("Why does FWI need low frequencies?") == []
    assert asked_values("When is depth migration needed?") == []  # not a date


def test_a_value_counts_only_beside_the_question_topic():
    q = "Who discovered the Earth's solid inner core, and in which year?"
    citation = "PREM (Preliminary Reference Earth Model; Dziewonski & Anderson 1981)."
    assert missing_values(q, [citation]) == ["year"]
    stated = "The solid inner core was discovered from faint arrivals in 1936."
    assert missing_values(q, [citation, stated]) == []


def test_counts_need_a_number_next_to_the_thing_counted():
    q = "How many independent components does the gravity gradient tensor have?"
    assert missing_values(q, ["The gravity gradient tensor has five independent components."]) == []
    assert missing_values(q, ["The gravity gradient tensor has components in all directions."]) == [
        "count"
    ]
    nodes = "How many nodes were deployed in the survey?"
    assert missing_values(nodes, ["The survey reached about 2000 m with nodes on ropes."]) == [
        "count"
    ]


def test_prices_need_an_amount_of_money():
    q = "What does a helicopter EM survey cost per line-kilometre?"
    assert missing_values(q, ["A helicopter EM survey covers hundreds of line-kilometres."]) == [
        "price"
    ]
    assert missing_values(q, ["A helicopter EM survey cost about $150 per line-kilometre."]) == []
