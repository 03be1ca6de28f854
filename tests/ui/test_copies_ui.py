"""Search results show a story once with its number of copies; the row expands to list them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ui.mainwindow import MainWindow
from app.ui.models import COPIES, COPY, HIT, KindRole
from tests.fixtures.syndication import Syndication


@pytest.fixture
def window(syndication_window: MainWindow) -> MainWindow:
    return syndication_window


def _kinds(window: MainWindow) -> list[tuple[str, str | None]]:
    model = window.panel.result_model
    return [(model.index(r).data(KindRole), model.index(r).data(Qt.ItemDataRole.UserRole + 1))
            for r in range(model.rowCount())]


def test_a_story_is_listed_once_and_its_copies_row_expands(qtbot, window: MainWindow,
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


def test_selecting_a_folded_copy_lists_it(qtbot, window: MainWindow, syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    panel = window.panel
    with qtbot.waitSignal(panel.searchFinished, timeout=20000):
        panel.search_edit.setText(f'"{story.title}"')
        panel.search_now()
    folded = [aid for aid in panel.result_model.ids() if aid in story.copies][1]
    assert panel.select_ids([folded]) == 1
    assert panel.selected_ids() == [folded]


def test_related_groups_the_copies_by_version(qtbot, window: MainWindow, syndication: Syndication) -> None:
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


def test_the_graph_draws_a_story_as_one_node_sized_by_its_copies(qtbot, window: MainWindow,
                                                                 syndication: Syndication) -> None:
    from app.core.reuse.reuselayout import build_graph, story_cluster

    rmap = window.reuse_docks.reuse_map()
    story = max(syndication.stories, key=lambda s: len(s.copies))
    graph = build_graph(rmap)
    stories = [n for n in graph.nodes if n.is_story]
    big = next(n for n in stories if set(m.id for m in graph.clusters[n.cluster].members) == set(story.copies))
    assert big.copies == len(story.copies) and story_cluster(big.id) == big.cluster
    ids = {n.id for n in graph.nodes}
    assert not ids & set(story.copies)  # no hairball: its copies are not nodes of their own
    assert not any(e.a in story.copies or e.b in story.copies for e in graph.edges)
    assert graph.story_pairs > 0 and graph.hidden_pairs == 0
    small = min(syndication.stories, key=lambda s: len(s.copies))
    assert set(small.copies) <= ids  # a small cluster keeps its articles and edges
    # Halos stay apart with the large discs in them.
    for i, (x, y, r) in enumerate(graph.halos):
        for x2, y2, r2 in graph.halos[i + 1:]:
            assert ((x - x2) ** 2 + (y - y2) ** 2) ** 0.5 >= r + r2 - 1e-6
    flat = build_graph(rmap, story_min=10_000)
    assert set(story.copies) <= {n.id for n in flat.nodes} and not any(n.is_story for n in flat.nodes)

    # Clicking the node opens the cluster's list; a copy there compares with the likely origin.
    docks = window.reuse_docks
    qtbot.waitUntil(lambda: docks.reuse_graph() is not None, timeout=30000)
    docks.overview_action.trigger()
    view = docks.overview.graph
    node = next(n for n in view.visible_nodes() if n.is_story and n.copies == len(story.copies))
    assert str(len(story.copies)) in view.tooltip_at(view.node_point(node.id))
    with qtbot.waitSignal(view.storyClicked) as clicked:
        view.click(view.node_point(node.id))
    n = clicked.args[0]
    tree, model = docks.overview.tree, docks.overview.model
    assert tree.isExpanded(model.index(n, 0)) and tree.currentIndex().row() == n
    cluster = model.clusters()[n]
    origin = cluster.origin or cluster.members[0].id
    row = next(k for k, m in enumerate(cluster.members) if m.id != origin)
    with qtbot.waitSignal(window.comparisonReady, timeout=20000) as ready:
        tree.activated.emit(model.index(row, 0, model.index(n, 0)))
    assert (ready.args[0].left.id, ready.args[0].right.id) == (origin, cluster.members[row].id)


STORY = ["The harbour authority said on Tuesday that the new container terminal would open in the spring, "
         "two years later than first planned, after a dispute over dredging permits.",
         "Officials expect the terminal to handle a third of the port's traffic within five years, "
         "according to figures published with the announcement on the authority's website."]


def test_exact_copies_collapse_before_the_reuse_map_is_built(qtbot, tmp_path: Path) -> None:
    from app.core.reuse.copies import ExactCopies
    from app.core.reuse.fingerprint import Prints
    from app.core.workspace.corpus import Corpus
    from app.ui.corpuspanel import CorpusPanel

    root = tmp_path / "exact"
    root.mkdir()
    for name, header in (("a.txt", "Daily Courier"), ("b.txt", "Evening Post"), ("c.txt", "Morning Star")):
        body = list(STORY)
        if name == "c.txt":
            body[1] = body[1].replace("a third", "half")  # an edited copy: not the same text
        (root / name).write_text(f"Terminal opening delayed\n\n{header} — menu — subscribe\n\n" + "\n\n".join(body))
    corpus = Corpus(root)
    corpus.update_index()
    exact = ExactCopies(Prints.from_bytes(corpus.reuse.path.read_bytes()))
    assert exact.copies("a.txt") == ["b.txt"] and exact.copies("c.txt") == []

    panel = CorpusPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_articles(corpus.listing())
    panel.set_corpus(corpus)  # no reuse map given: it is still being built
    with qtbot.waitSignal(panel.searchFinished, timeout=10000):
        panel.search_edit.setText("terminal")
        panel.search_now()
    kinds = [panel.result_model.index(r).data(KindRole) for r in range(panel.result_model.rowCount())]
    assert kinds.count(HIT) == 2 and kinds.count(COPIES) == 1  # a and b are one row; c apart
