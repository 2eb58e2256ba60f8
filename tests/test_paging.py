"""Lists read out by voice a page at a time."""

from __future__ import annotations

from actions.paging import (
    PAGE_SIZE,
    ListState,
    is_voice,
    message,
    needs_paging,
    next_page,
    previous_page,
)

ITEMS = [message("utter_list_item", item=f"item {n}") for n in range(1, 8)]


def test_only_long_spoken_lists_are_paged():
    assert needs_paging(ITEMS, voice=True)
    assert not needs_paging(ITEMS, voice=False)
    assert not needs_paging(ITEMS[:PAGE_SIZE], voice=True)
    assert is_voice("alexa") and is_voice("voice") and not is_voice("rest") and not is_voice(None)


def test_more_walks_the_list_and_go_back_returns():
    state = ListState(ITEMS, origin="m1")
    assert [i["params"]["item"] for i in state.page] == ["item 1", "item 2", "item 3"]
    assert state.left == 4
    second = next_page(state)
    assert [i["params"]["item"] for i in second.page] == ["item 4", "item 5", "item 6"]
    third = next_page(second)
    assert [i["params"]["item"] for i in third.page] == ["item 7"] and third.left == 0
    assert next_page(third) is None
    assert previous_page(third).start == 3
    assert previous_page(state) is None


def test_the_state_survives_the_slot_round_trip():
    state = ListState(ITEMS, 3, [message("utter_ok")], "offer:q", "m1")
    again = ListState.from_slot(state.to_slot())
    assert again == state
    assert ListState.from_slot(None) is None
    assert ListState.from_slot({"items": "nope"}) is None
    assert ListState.from_slot({"items": [], "start": "x"}) is None
