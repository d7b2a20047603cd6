"""The console's pure view pieces: the stream model, the filter, the formatters."""

from __future__ import annotations

import pytest

from slackmq_core import Holder, LockState, MessageLock

from slackmq_tui.widgets._format import fit, long_age, short_age
from slackmq_tui.widgets.message_stream import layout_for
from slackmq_tui.widgets.stream_model import MessageFilter, StreamModel


def lock(ts: str, state: LockState = LockState.PENDING, text: str = "", holder: str = ""):
    from slackmq_core import Mark, Primitive

    marks = (Mark(Primitive.PIN, Holder(f"U{holder.upper()}", holder, True)),) if holder else ()
    return MessageLock("C1", ts, text=text, state=state, marks=marks)


def test_pages_build_a_newest_first_view_without_holes():
    model = StreamModel("C1")
    model.add_page([lock("1700000005.000000"), lock("1700000004.000000")], "next")
    # a lock far older than the pages (from pins.list) stays out of the unfiltered view...
    model.replace_locks([lock("1700000001.000000", LockState.STALE, holder="alpha")])
    assert [r.ts for r in model.view()] == ["1700000005.000000", "1700000004.000000"]
    assert model.wants_more
    # ...but shows, with every other lock, when the filter asks for held messages
    model.set_filter(MessageFilter(states=frozenset({LockState.STALE, LockState.LOCKED})))
    assert [r.ts for r in model.view()] == ["1700000001.000000"]
    assert not model.wants_more
    # a new message is newer than the boundary: always in view
    model.set_filter(MessageFilter())
    model.upsert(lock("1700000009.000000"))
    assert model.view()[0].ts == "1700000009.000000"
    model.add_page([lock("1700000003.000000")], None)
    assert model.complete and len(model.view()) == 5


def test_replace_locks_names_rows_that_are_no_longer_held():
    model = StreamModel("C1")
    model.add_page([lock("1700000002.000000", LockState.LOCKED, holder="a"),
                    lock("1700000001.000000", LockState.STALE, holder="b")], None)
    gone = model.replace_locks([lock("1700000001.000000", LockState.STALE, holder="b")])
    assert gone == ["1700000002.000000"]


def test_a_state_change_patches_its_row_in_place_and_counts_follow():
    """The widget repaints one line when the view list it holds is still the model's."""
    model = StreamModel("C1")
    model.add_page([lock("1700000003.000000"), lock("1700000002.000000", LockState.LOCKED, holder="a"),
                    lock("1700000001.000000")], None)
    view = model.view()
    version = model.version
    model.upsert(lock("1700000003.000000", LockState.LOCKED, holder="b"))
    assert model.view() is view and model.version == version           # patched in place
    assert view[0].state is LockState.LOCKED and model.position("1700000003.000000") == 0
    assert model.counts[LockState.LOCKED] == 2 and model.counts[LockState.PENDING] == 1
    assert model.timed == {"1700000003.000000", "1700000002.000000"}   # can go stale by time
    model.upsert(lock("1700000004.000000"))                              # a new row: a new view
    assert model.view() is not view and model.version > version
    # a filter that no longer matches the changed row: the view is rebuilt without it
    model.set_filter(MessageFilter(states=frozenset({LockState.LOCKED})))
    held = model.view()
    model.upsert(lock("1700000002.000000", LockState.DONE))
    assert model.view() is not held
    assert [r.ts for r in model.view()] == ["1700000003.000000"]
    assert model.counts[LockState.DONE] == 1 and "1700000002.000000" not in model.timed
    model.remove("1700000003.000000")
    assert model.counts[LockState.LOCKED] == 0 and model.view() == []


def test_filter_parsing_and_matching():
    flt = MessageFilter.parse("invoice holder:alp state:stale,locked")
    assert flt.text == "invoice" and flt.holder == "alp"
    assert flt.states == {LockState.STALE, LockState.LOCKED} and flt.held_only
    assert flt.matches(lock("1.000000", LockState.STALE, "send invoice", holder="alpha"))
    assert not flt.matches(lock("1.000000", LockState.STALE, "send invoice", holder="bravo"))
    assert not flt.matches(lock("1.000000", LockState.DONE, "send invoice", holder="alpha"))
    assert not MessageFilter.parse("").active
    with pytest.raises(ValueError, match="unknown state 'busy': use one of pending, locked"):
        MessageFilter.parse("state:busy")


@pytest.mark.parametrize("seconds,short,long_", [
    (None, "", "unknown"), (0, "0s", "0s"), (59, "59s", "59s"), (725, "12m", "12m 05s"),
    (11220, "3h", "3h 07m"), (180000, "2d", "2d 02h"), (-4, "0s", "0s")])
def test_ages(seconds, short, long_):
    assert (short_age(seconds), long_age(seconds)) == (short, long_)


def test_fit_is_cell_exact():
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    assert fit("job\nwith newline", 8) == "job wit…"
    from rich.cells import cell_len

    assert [cell_len(fit("日本語テキスト", w)) for w in range(1, 9)] == list(range(1, 9))
    assert fit("x", 0) == ""


@pytest.mark.parametrize("width", [40, 57, 71, 78, 91, 98, 131, 200])
def test_columns_fill_the_width_and_the_text_keeps_a_fair_share(width):
    """Stream widths of terminals 80-200 columns wide: the preview takes what is left."""
    lay = layout_for(width)
    gaps = 7 if lay.author else 6                 # the author goes first on narrow widths
    used = lay.time + lay.author + lay.text + lay.state + lay.holders + lay.age + gaps
    assert used == width
    if width >= 50:
        assert lay.text >= 0.35 * width
