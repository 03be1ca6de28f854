"""Search results show a story once with its number of copies; the row expands to list them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ui.mainwindow import MainWindow
from app.ui.models import COPIES, COPY, HIT, KindRole
from tests.fixtures.syndication import Syndication, build_corpus


@pytest.fixture
def syndication(tmp_path: Path) -> Syndication:
    return build_corpus(tmp_path / "corpus", outlets=14, fanouts=(12, 3), own=1)


@pytest.fixture
def window(qtbot, syndication: Syndication) -> MainWindow:  # noqa: ANN001
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.reuse_docks.mapReady, timeout=60000):
        win.open_corpus(syndication.root)
    yield win
    win.shutdown()


def _kinds(window: MainWindow) -> list[tuple[str, str | None]]:
    model = window.panel.result_model
    return [(model.index(r).data(KindRole), model.index(r).data(Qt.ItemDataRole.UserRole + 1))
            for r in range(model.rowCount())]


def test_a_story_is_listed_once_and_its_copies_row_expands(qtbot, window: MainWindow,  # noqa: ANN001
                                                          syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    panel = window.panel
    with qtbot.waitSignal(panel.searchFinished, timeout=20000):
        panel.search_edit.setText(f'"{story.title}"')
        panel.search_now()
    rows = _kinds(window)
    of_story = [aid for kind, aid in rows if kind == HIT and aid in story.copies]
    assert len(of_story) == 1  # the story once, at its best hit
    lead = [k for k, (_kind, aid) in enumerate(rows) if aid == of_story[0]][0]
    assert rows[lead + 1][0] == COPIES
    more = panel.result_model.index(lead + 1)
    assert f"{len(story.copies) - 1} copies" in more.data(Qt.ItemDataRole.DisplayRole)
    assert set(panel.result_model.ids()) >= set(of_story)

    # A click on "+N copies" lists them under the hit; another click folds them again.
    view = panel.results
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(more).center())
    listed = [aid for kind, aid in _kinds(window) if kind == COPY]
    assert set(listed) == set(story.copies) - {of_story[0]}
    assert "−" in panel.result_model.index(lead + 1).data(Qt.ItemDataRole.DisplayRole)
    panel.result_model.toggle(lead + 1)
    assert not [k for k, _ in _kinds(window) if k == COPY]

    # The toggle lists every hit again.
    panel.collapse_box.setChecked(False)
    flat = _kinds(window)
    assert all(kind == HIT for kind, _ in flat)
    assert len([aid for _, aid in flat if aid in story.copies]) > 1
    panel.collapse_box.setChecked(True)
    assert len([aid for k, aid in _kinds(window) if k == HIT and aid in story.copies]) == 1


def test_selecting_a_folded_copy_lists_it(qtbot, window: MainWindow, syndication: Syndication) -> None:  # noqa: ANN001
    story = max(syndication.stories, key=lambda s: len(s.copies))
    panel = window.panel
    with qtbot.waitSignal(panel.searchFinished, timeout=20000):
        panel.search_edit.setText(f'"{story.title}"')
        panel.search_now()
    folded = [aid for aid in panel.result_model.ids() if aid in story.copies][1]
    assert panel.select_ids([folded]) == 1
    assert panel.selected_ids() == [folded]


def test_related_groups_the_copies_by_version(qtbot, window: MainWindow, syndication: Syndication) -> None:  # noqa: ANN001
    from app.ui.relatedpanel import HeadingRole

    story = max(syndication.stories, key=lambda s: len(s.copies))
    aid = story.copies[0]
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.open_article(aid, "left")
    panel = window.reuse_docks.related
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=10000)
    versions = window.reuse_docks.reuse_map().versions(aid)
    assert panel.summary.text() == f"This story: {len(story.copies)} copies, {len(versions)} versions"
    assert set(panel.model.ids()) == set(story.copies) - {aid}
    headings = [panel.model.index(r).data(HeadingRole) for r in range(panel.model.rowCount())]
    headings = [h for h in headings if h]
    if any(len(v) > 2 or (len(v) == 2 and aid not in v) for v in versions):
        assert headings and headings[0].startswith(("Same text as this one", "Version"))
    # Each article sits under the heading of its version.
    current = None
    version_of = {x: k for k, v in enumerate(versions) for x in v}
    seen: dict[str, set[int]] = {}
    for r in range(panel.model.rowCount()):
        index = panel.model.index(r)
        if index.data(HeadingRole):
            current = index.data(HeadingRole)
        else:
            seen.setdefault(current, set()).add(version_of[index.data(Qt.ItemDataRole.UserRole + 2)])
    assert all(len(ks) == 1 for h, ks in seen.items() if h is not None)
