"""Hostile and careless use of the command line, as a user meets it: one line per case, OK or FAIL.

Each case runs ``parallax`` as a process on a scratch copy of the seeds: an index folder that is
not Parallax's, the corpus or its parent as the index, exports over their own input or a corpus
file, re-indexing with skipped files, two indexers at once, damaged segment bytes, links out of
the corpus, session references outside it, control characters in names, regex floods, FIFO and
/dev/zero sessions, non-UTF-8 names, odd queries, damaged sessions, BOM-less UTF-16, invisible
text, GB18030 and Russian dates. Nothing outside the scratch folder is written.

Usage: python bench/hostile_cli.py
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent
PX = [sys.executable, "-m", "app"]
W = Path(tempfile.mkdtemp(prefix="hostile-"))
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(W / "xdg"), PYTHONPATH=str(MAIN))


def run(*args: str, timeout: float = 120, stdin: str | None = None) -> tuple[int, str, str, float]:
    t = time.perf_counter()
    p = subprocess.run(PX + list(args), capture_output=True, text=True, timeout=timeout, env=ENV, input=stdin,
                       errors="replace")
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - t


def line(case: str, ok: bool, detail: str) -> None:
    print(f"{'OK  ' if ok else 'FAIL'} {case}: {detail}")


def corpus(name: str) -> Path:
    c = W / name
    shutil.copytree(MAIN / "seeds", c)
    return c


def tb(s: str) -> bool:
    return "Traceback" in s or "Error:" in s and "internal error" in s


c = corpus("c1")
# 1. a foreign folder as --index
foreign = W / "mine"
(foreign / "notes").mkdir(parents=True)
(foreign / "notes/todo.txt").write_text("todo")
(foreign / "thesis.docx").write_bytes(b"PK\x03\x04thesis")
rc, out, err, _ = run("index", str(c), "--index", str(foreign))
line("index --index FOREIGN", rc == 1 and (foreign / "thesis.docx").exists() and (foreign / "notes/todo.txt").exists(),
     f"rc={rc} {err.strip()[:110]}")
# 2. --index equal to the corpus, 3. its parent
n_before = len(list(c.iterdir()))
rc, out, err, _ = run("index", str(c), "--index", str(c))
line("index C --index C", rc == 1 and len(list(c.iterdir())) == n_before, f"rc={rc} {err.strip()[:110]}")
rc, out, err, _ = run("index", str(c), "--index", str(W))
line("index C --index PARENT", rc == 1 and len(list(c.iterdir())) == n_before, f"rc={rc} {err.strip()[:110]}")
ix = W / "ix"
rc, out, err, _ = run("index", str(c), "--index", str(ix))
# 4. session export over the session
ids = sorted(p.name for p in c.glob("*.txt"))
a001 = next(i for i in ids if i.startswith("001"))
a004 = next(i for i in ids if i.startswith("004"))
session = W / "s.parallax"
sess = {"format": "parallax-session", "format_version": 1, "corpus": str(c),
        "tabs": [{"left": {"id": a001}, "right": {"id": a004}}]}
session.write_text(json.dumps(sess))
before = session.read_bytes()
rc, out, err, _ = run("session", "export", str(session), "--html", str(session))
line("session export S --html S", rc == 1 and session.read_bytes() == before, f"rc={rc} {err.strip()[:110]}")
# 5. compare --html onto a corpus file
target = c / a001
before = target.read_bytes()
rc, out, err, _ = run("compare", "001", "004", "--corpus", str(c), "--html", str(target))
line("compare --html CORPUS/001", rc == 1 and target.read_bytes() == before, f"rc={rc} {err.strip()[:110]}")
# 7. no-op re-index with skipped files writes nothing
(c / "empty.txt").write_bytes(b"")
(c / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
run("index", str(c), "--index", str(ix))
snap = {p.name: p.stat().st_mtime_ns for p in ix.iterdir()}
rc, out, err, _ = run("index", str(c), "--index", str(ix))
after = {p.name: p.stat().st_mtime_ns for p in ix.iterdir()}
line("no-op re-index with skipped files", snap == after, f"files {len(snap)} -> {len(after)}, changed {sorted(set(after.items()) ^ set(snap.items()))[:3]}")
# 8. two indexers on one fresh index
ix2 = W / "ix2"
res: list[tuple[int, str]] = []
def go() -> None:
    r = run("index", str(c), "--index", str(ix2))
    res.append((r[0], r[2].strip()[:80]))
ts = [threading.Thread(target=go) for _ in range(2)]
[t.start() for t in ts]
[t.join() for t in ts]
line("two indexers on a fresh index", all(r[0] == 0 for r in res) or (sorted(r[0] for r in res) == [0, 1] and any("another" in r[1] for r in res)),
     str(res))
# 9. damaged segment bytes
seg = max((p for p in ix.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size, default=None)
if seg:
    data = bytearray(seg.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = os.urandom(64)
    seg.write_bytes(bytes(data))
    rc, out, err, _ = run("search", "alliance", "--corpus", str(c), "--index", str(ix))
    line("damaged segment then search", rc == 0 and not tb(err) and out.strip() != "", f"rc={rc} stderr={err.strip()[:100]}")
# 10/11. links outside
c2 = corpus("c2")
os.symlink("/etc/passwd", c2 / "passwd.txt")
outside = W / "outside"
outside.mkdir()
(outside / "x.txt").write_text("Outside text that should not be indexed.\n\nA second paragraph of it.")
os.symlink(outside, c2 / "linked")
rc, out, err, _ = run("index", str(c2), "--index", str(W / "ix-c2"))
rc2, out2, err2, _ = run("show", "passwd", "--corpus", str(c2), "--index", str(W / "ix-c2"))
line("symlinks outside the corpus", "root:x:0" not in out2 and "skipped" in (out + err) and "linked" not in run("articles", "--corpus", str(c2), "--index", str(W / "ix-c2"), "--json")[1],
     f"show passwd rc={rc2} {err2.strip()[:80]}")
# 12. session references outside the corpus
s2 = W / "evil.parallax"
s2.write_text(json.dumps({"format": "parallax-session", "format_version": 1, "corpus": str(c),
                          "tabs": [{"left": {"id": "../../../../../../etc/passwd"}, "right": {"id": "/etc/passwd", "path": "/etc/passwd"}}]}))
rc, out, err, _ = run("session", "export", str(s2), "--html", str(W / "evil.html"))
html = (W / "evil.html").read_text() if (W / "evil.html").exists() else ""
line("session refs to /etc/passwd", "root:x:0" not in html and not tb(err), f"rc={rc} {err.strip()[:100]}")
# 13. ESC/BEL in names and text
c3 = corpus("c3")
(c3 / "evil\x1b[31mred\x07.txt").write_text("Title\x1b]0;pwned\x07\n\nBody \x1b[2J text here with words.")
rc, out, err, _ = run("index", str(c3), "--index", str(W / "ix-c3"))
rc2, out2, err2, _ = run("articles", "--corpus", str(c3), "--index", str(W / "ix-c3"))
line("ESC/BEL in terminal output", "\x1b" not in out + err + out2 + err2 and "\x07" not in out + err + out2 + err2, "escaped")
# 14. search exits promptly
rc, out, err, secs = run("search", "alliance", "--corpus", str(c), "--index", str(ix))
line("parallax search start to exit", rc == 0 and secs < 3, f"{secs:.2f} s")
# 15. regex floods
c4 = W / "c4"
c4.mkdir()
(c4 / "eq.txt").write_text(("=" * 20000 + "\n") * 10)
(c4 / "amp.md").write_text("&" * 100_000)
(c4 / "amp.html").write_text("<p>" + "&amp;" * 2_000_000 + "</p>")
rc, out, err, secs = run("index", str(c4), "--index", str(W / "ix-c4"), timeout=600)
line("regex floods (=, &, &amp;)", rc == 0 and secs < 10, f"{secs:.2f} s for 10x20k '=', 100 KB '&', 2M '&amp;'")
# 16. FIFO and /dev/zero sessions
fifo = W / "fifo.parallax"
os.mkfifo(fifo)
rc, out, err, secs = run("session", "show", str(fifo), timeout=20)
line("FIFO session", rc == 1 and secs < 5 and not tb(err), f"{secs:.2f} s: {err.strip()[:90]}")
rc, out, err, secs = run("session", "show", "/dev/zero", timeout=20)
line("/dev/zero session", rc == 1 and not tb(err), f"{err.strip()[:90]}")
# 17. non-UTF-8 name
c5 = corpus("c5")
name = os.fsencode(c5) + b"/caf\xe9.txt"
with open(name, "wb") as f:
    f.write(b"A title\n\nThe body of an article whose file name is Latin-1.")
rc, out, err, _ = run("index", str(c5), "--index", str(W / "ix-c5"))
rc2, out2, err2, _ = run("show", "caf\\xe9.txt", "--corpus", str(c5), "--index", str(W / "ix-c5"))
line("non-UTF-8 file name", rc == 0 and not tb(err) and rc2 == 0, f"index rc={rc}, show rc={rc2} {err2.strip()[:60]}")
# 18. queries
for q in ("NOT NOT alliance", "<alliance>", "<b>x</b>"):
    rc, out, err, _ = run("search", q, "--corpus", str(c), "--index", str(ix))
    line(f"query {q!r}", not tb(err) and "list index" not in err, f"rc={rc} {(out.splitlines() or [''])[0][:40]!r} {err.strip()[:60]}")
# 19. damaged sessions
for label, text in (("5,000-digit int", '{"format": "parallax-session", "version": ' + "9" * 5000 + "}"),
                    ("100,000 nested arrays", "[" * 100_000 + "]" * 100_000)):
    p = W / "bad.parallax"
    p.write_text(text)
    rc, out, err, _ = run("session", "show", str(p))
    line(f"session with {label}", rc == 1 and not tb(err), err.strip()[:90])
# 20. encodings and languages
c6 = W / "c6"
c6.mkdir()
ru = "Отношения России и Китая\n\n15 декабря 2021 года министры встретились в Пекине и обсудили торговлю.\n\nВторой абзац статьи о переговорах."
(c6 / "ru16.txt").write_bytes(ru.encode("utf-16-le"))
zh = "中俄关系\n\n两国领导人在北京举行会谈，讨论了贸易、能源和安全合作等问题。\n\n双方同意进一步加强在多边机制中的协调与配合。"
(c6 / "zh16.txt").write_bytes(zh.encode("utf-16-le"))
(c6 / "zhgb.txt").write_bytes(zh.encode("gb18030"))
(c6 / "invisible.txt").write_text("\u200b\u2060\ufeff \u3000\u00a0\n" * 50)
rc, out, err, _ = run("index", str(c6), "--index", str(W / "ix-c6"), "--json")
info = json.loads(out) if rc == 0 else {}
arts = json.loads(run("articles", "--corpus", str(c6), "--index", str(W / "ix-c6"), "--json")[1])
byid = {a["id"]: a for a in (arts if isinstance(arts, list) else arts.get("articles", []))}
line("BOM-less UTF-16 ru/zh indexed", {"ru16.txt", "zh16.txt"} <= set(byid), str(sorted(byid)))
line("invisible-only file skipped", "invisible.txt" not in byid, json.dumps(info.get("skipped", ""))[:90])
rc, out, err, _ = run("show", "zhgb", "--corpus", str(c6), "--index", str(W / "ix-c6"), "--json")
doc = json.loads(out) if rc == 0 else {}
body = [p for p in doc.get("paragraphs", []) if p.get("role") == "body"]
line("GB18030 headline stays title, body kept", doc.get("title") == "中俄关系" and len(body) >= 2, f"title={doc.get('title')!r} body={len(body)}")
rc, out, err, _ = run("show", "ru16", "--corpus", str(c6), "--index", str(W / "ix-c6"), "--json")
doc = json.loads(out) if rc == 0 else {}
line("Russian date '15 декабря 2021'", str(doc.get("date", "")).startswith("2021-12-15"), f"date={doc.get('date')!r}")
shutil.rmtree(W, ignore_errors=True)
