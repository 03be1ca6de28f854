"""Terminal injection: control characters from file names, article text, sessions and the command
line itself never reach the terminal raw; ``--json`` stays exact JSON with the same data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.cli.common import json_text, terminal_safe

ESC_TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title, then rings the bell
RED = "\x1b[31m"
CLEAR = "\x1b[2J"
RLO = "\u202e"  # right-to-left override: "txt.exe" shown as "exe.txt"
CSI = "\x9b"  # the one-byte C1 form of ESC [
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\r")
NAME = f"evil{ESC_TITLE}{RLO}name.txt"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / NAME).write_text(
        f"Walrus{RED} headline with an escape {CLEAR}and{CSI}2J more words here\n\n"
        f"The walrus paragraph carries {ESC_TITLE} a title-setting sequence and a bell\x07 and a DEL\x7f "
        f"and a carriage return\r that would overwrite the line, and {RLO}an override.\n\n"
        "A second walrus paragraph so that the article has a body of reasonable length.\n", "utf-8")
    (corpus / "plain.txt").write_text(
        "A plain walrus headline for the comparison\n\nThe walrus paragraph carries a plain sentence about "
        "walruses and the sea, long enough for the aligner.\n", "utf-8")
    return corpus


def _clean(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} reached the terminal: {text!r}"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_terminal_safe_escapes_controls_and_keeps_layout() -> None:
    assert terminal_safe(f"a{ESC_TITLE}b\n\tc{RLO}d{CSI}\x7f") == "a\\x1b]0;pwned\\x07b\n\tc\\u202ed\\x9b\\x7f"
    assert terminal_safe("plain — ünïcode 中文") == "plain — ünïcode 中文"
    assert terminal_safe("caf\udce9") == "caf\\xe9"


def test_every_human_readable_command_escapes_control_characters(hostile: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ix = ["--corpus", str(hostile), "--index", str(tmp_path / "ix")]
    status, out, err = _run(capsys, "index", str(hostile), "--index", str(tmp_path / "ix"))
    assert status == 0 and "\\x1b]0;pwned\\x07" in out
    _clean(out + err)
    for argv in (["articles", *ix], ["show", "evil", *ix], ["search", "walrus", *ix],
                 ["related", "evil", *ix], ["clusters", *ix], ["pairs", *ix],
                 ["compare", "evil", "plain", "--corpus", str(hostile)]):
        status, out, err = _run(capsys, *argv)
        assert status == 0, (argv, err)
        assert out.strip(), argv
        _clean(out + err)
    status, out, _ = _run(capsys, "show", "evil", *ix)
    assert "\\x1b[31m" in out and "\\x07" in out


def test_error_messages_are_escaped_too(hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "show", f"nothing{CLEAR}{ESC_TITLE}", "--corpus", str(hostile),
                            "--index", str(tmp_path / "ix"))
    assert status == 1 and "\\x1b[2J" in err
    _clean(out + err)
    with pytest.raises(SystemExit):
        main(["search", "x", "--sort", f"bad{CLEAR}"])
    captured = capsys.readouterr()
    assert "bad\\x1b[2J" in captured.err
    _clean(captured.out + captured.err)
    status, out, err = _run(capsys, "session", "show", str(tmp_path / f"missing{ESC_TITLE}.parallax"))
    assert status == 1
    _clean(out + err)


def test_session_show_escapes_notes_and_titles(hostile: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.parallax"
    path.write_text(json.dumps({
        "format_version": 1, "corpus": str(hostile), "query": f"q{RED}",
        "tabs": [{"title": f"tab{ESC_TITLE}", "left": {"id": NAME, "hash": ""},
                  "right": {"id": "plain.txt", "hash": ""}, "comparison_note": f"note{CLEAR}",
                  "notes": [{"left": [1], "right": [1], "text": f"row note{RLO}{CSI}"}]}],
    }), "utf-8")
    status, out, err = _run(capsys, "session", "show", str(path))
    assert status == 0 and "tab\\x1b]0;pwned\\x07" in out
    _clean(out + err)


def test_json_output_is_exact_and_holds_no_raw_controls(hostile: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    ix = ["--corpus", str(hostile), "--index", str(tmp_path / "ix")]
    _run(capsys, "index", str(hostile), "--index", str(tmp_path / "ix"))
    for argv in (["articles", *ix, "--json"], ["show", "evil", *ix, "--json"],
                 ["search", "walrus", *ix, "--json"], ["compare", "evil", "plain", "--corpus", str(hostile), "--json"]):
        status, out, err = _run(capsys, *argv)
        assert status == 0, err
        _clean(out)
        assert NAME in _strings(json.loads(out)), argv  # the exact name survives the escapes
    status, out, _ = _run(capsys, "show", "evil", *ix, "--json")
    article = json.loads(out)
    assert article["id"] == NAME and CSI in article["paragraphs"][0]["text"]


def _strings(data: object) -> set[str]:
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return set().union(*(_strings(v) for v in data.values()), set())
    if isinstance(data, list):
        return set().union(*(_strings(v) for v in data), set())
    return set()


def test_json_text_round_trips_what_it_escapes() -> None:
    data = {"k\x9b": ["\x1b\x07\x7f\u202e\u2066", "caf\udce9", "中文 — plain"]}
    text = json_text(data)
    _clean(text)
    assert json.loads(text) == data
    text.encode("utf-8")  # valid UTF-8, lone surrogates included


def test_every_cli_printer_goes_through_the_helper() -> None:
    """A bare print() in a subcommand would bypass terminal_safe (the search snippets are made
    safe piece by piece around their bold marks, and say so)."""
    import re

    cli = Path(__file__).resolve().parents[2] / "app" / "cli"
    bare = []
    for source in sorted(cli.glob("*.py")):
        if source.name == "common.py":
            continue
        for n, line in enumerate(source.read_text("utf-8").splitlines(), 1):
            if re.search(r"(?<![\w.])print\(", line) and "made safe" not in line:
                bare.append(f"{source.name}:{n}: {line.strip()}")
    assert bare == []
