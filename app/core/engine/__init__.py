"""The index engine: Whoosh's files written and read with numpy, analysis, and vectorised query evaluation.

The only package that reaches into Whoosh's internals (:mod:`app.core.engine.release` checks the
Whoosh release they were proven on and switches to the stock writer and collector otherwise).
"""
