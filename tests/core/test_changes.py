"""Change labels: one per pair with its two figures, finer ones per changed row."""

from __future__ import annotations

import pytest

from app.core.align.changes import (
    PAIR_LABEL_HELP,
    ROW_LABEL_HELP,
    PairLabel,
    RowLabel,
    analyse,
    pair_change,
)
from app.core.align.paragraphs import align
from app.core.reading.model import Article, Paragraph

BODY = [
    "The European Central Bank raised its main interest rate by a quarter of a point on Thursday.",
    "Christine Lagarde told reporters in Frankfurt that inflation was still too high for too long.",
    "Markets had expected the decision, and the euro barely moved against the dollar in late trading.",
    "Economists said further increases were likely before the end of the year as prices kept rising.",
    "Banks in Germany and Italy welcomed the move, although borrowers complained about mortgage costs.",
    "The next meeting of the governing council is scheduled for the middle of September in Frankfurt.",
]
NEW = [
    "Unions in Spain called a general strike for the following week over the cost of living crisis.",
    "Shops in Madrid reported a sharp drop in sales of clothing and furniture during the summer months.",
    "Farmers blocked roads near Seville to protest against cheap imports of fruit and vegetables today.",
    "The tourism board said visitor numbers had returned to the level they reached before the pandemic.",
    "A new high-speed rail line between Madrid and Lisbon is due to open at the end of the decade.",
    "Water restrictions remain in force across Catalonia after the driest spring on record this year.",
]


def _article(aid: str, texts: list[str]) -> Article:
    paras, pos = [], 0
    for i, t in enumerate(texts):
        paras.append(Paragraph(i, t, " ".join(t.split()).casefold(), pos, pos + len(t)))
        pos += len(t) + 2
    return Article(aid, aid, aid, paragraphs=paras, text="\n\n".join(texts))


def _edited(texts: list[str]) -> list[str]:
    out = list(texts)
    out[1] = out[1].replace("told reporters", "claimed")
    out[3] = out[3].replace("likely", "possible")
    return out


# (name, left paragraphs, right paragraphs, expected label)
CASES = [
    ("verbatim", BODY, BODY, PairLabel.VERBATIM),
    ("verbatim despite typography and case", BODY,
     [t.replace("Thursday", "THURSDAY").replace(" ", "  ") for t in BODY], PairLabel.VERBATIM),
    ("trimmed", BODY, BODY[:4], PairLabel.TRIMMED),
    ("trimmed to an excerpt", BODY, BODY[:2], PairLabel.TRIMMED),
    ("expanded", BODY[:4], BODY, PairLabel.EXPANDED),
    ("edited", BODY, _edited(BODY), PairLabel.EDITED),
    ("edited with a paragraph dropped", BODY, _edited(BODY)[:5], PairLabel.EDITED),
    ("rewritten", BODY, [" ".join(reversed(t.split()[:8])) + " " + " ".join(t.split()[8:]) for t in BODY],
     PairLabel.REWRITTEN),
    ("partial", BODY, BODY[:2] + NEW, PairLabel.PARTIAL),
    ("partial: nothing shared", BODY, NEW, PairLabel.PARTIAL),
]


@pytest.mark.parametrize(("name", "left", "right", "label"), CASES, ids=[c[0] for c in CASES])
def test_pair_label(name: str, left: list[str], right: list[str], label: PairLabel) -> None:
    got = pair_change(align(_article("l", left), _article("r", right)))
    assert got.label is label, (name, got)


def test_figures_are_word_shares_of_each_side() -> None:
    trimmed = pair_change(align(_article("l", BODY), _article("r", BODY[:3])))
    words = [len(t.split()) for t in BODY]
    assert trimmed.retained == pytest.approx(100 * sum(words[:3]) / sum(words), abs=0.5)
    assert trimmed.added == 0
    expanded = pair_change(align(_article("l", BODY[:3]), _article("r", BODY)))
    assert expanded.retained == 100
    assert expanded.added == pytest.approx(100 * sum(words[3:]) / sum(words), abs=0.5)
    assert "% of the source's words unchanged" in expanded.describe() and expanded.describe().startswith("expanded")


def test_row_labels_name_what_changed_and_default_to_wording() -> None:
    right = list(BODY)
    right[0] = right[0].replace("Thursday", "Friday")
    right[1] = right[1].replace("told reporters", "claimed")
    right[2] = right[2].replace("barely moved", "hardly moved at all")
    right[3] = right[3].replace("Economists said", "Economists did not say")
    changes = analyse(align(_article("l", BODY), _article("r", right)))
    assert changes.rows == {
        0: (RowLabel.NUMBERS,),
        1: (RowLabel.ATTRIBUTION,),
        2: (RowLabel.WORDING,),
        3: (RowLabel.NEGATION,),
    }
    data = changes.to_dict()
    assert data["label"] == "edited" and {d["kind"] for d in data["deltas"]} == {"date", "attribution", "negation"}


def test_every_label_is_documented() -> None:
    assert set(PAIR_LABEL_HELP) == set(PairLabel)
    assert set(ROW_LABEL_HELP) == set(RowLabel)


def test_an_article_shown_alone_has_no_deltas() -> None:
    changes = analyse(align(_article("l", BODY), Article("", "", "(none)")))
    assert changes.deltas == [] and changes.pair.retained == 0


def _write_pair(folder) -> None:
    right = list(BODY)
    right[0] = right[0].replace("Thursday", "Friday")
    right[1] = right[1].replace("told reporters", "insisted")
    (folder / "left.txt").write_text("Rates rise again\n\n" + "\n\n".join(BODY), "utf-8")
    (folder / "right.txt").write_text("Rates rise again\n\n" + "\n\n".join(right), "utf-8")


def test_compare_json_carries_labels_figures_and_deltas(tmp_path, capsys) -> None:
    import json

    from app.cli import main

    _write_pair(tmp_path)
    assert main(["compare", "left.txt", "right.txt", "--corpus", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["label"] == "edited" and 0 < data["retained"] < 100 and 0 < data["added"] < 100
    changed = [r for r in data["rows"] if r["kind"] == "changed"]
    assert [r["labels"] for r in changed] == [["numbers"], ["attribution"]]
    assert all(r["labels"] == [] for r in data["rows"] if r["kind"] != "changed")
    kinds = [(d["kind"], d["before"], d["after"]) for d in data["deltas"]]
    assert kinds == [("date", "Thursday", "Friday"), ("attribution", "told", "insisted")]
    first = data["deltas"][0]
    para = data["left"]["paragraphs"][first["left"][0][0]]["text"]
    assert para[first["left"][0][1]:first["left"][0][2]] == "Thursday"


def test_compare_text_lists_the_critical_changes(tmp_path, capsys) -> None:
    from app.cli import main

    _write_pair(tmp_path)
    assert main(["compare", "left.txt", "right.txt", "--corpus", str(tmp_path), "--text", "--width", "80"]) == 0
    out = capsys.readouterr().out
    assert "change: edited · " in out
    assert "critical changes (2):" in out and "Date changed: Thursday → Friday" in out


@pytest.mark.parametrize("for_qt", [False, True])
def test_report_opens_with_the_label_and_critical_changes(for_qt: bool) -> None:
    from app.core.sessions.report import alignment_report_html

    right = list(BODY)
    right[0] = right[0].replace("Thursday", "Friday")
    right[3] = right[3].replace("Economists said", "Economists insisted")
    html = alignment_report_html(align(_article("l", BODY), _article("r", right)), for_qt=for_qt)
    critical, meta = html.index('data-critical="true"'), html.index('<table class="meta"')
    assert critical < meta  # at the top of the comparison
    assert 'data-label="edited"' in html and "Change: edited" in html
    assert html.count('data-delta="') == 2
    assert '<a href="#s1-r0">1</a></td><td>Date changed' in html
    assert 'data-delta="attribution"' in html and "insisted" in html
    assert '<span class="badge row-label">numbers</span>' in html  # the row's own label


def test_report_says_when_nothing_critical_changed() -> None:
    from app.core.sessions.report import alignment_report_html

    html = alignment_report_html(align(_article("l", BODY), _article("r", BODY)))
    assert 'data-label="verbatim"' in html and "None found in the matched paragraphs." in html
