"""The one API the UI, the CLI and the tests drive: a history (timeline and cursor,
:mod:`.history`) extended by computing (a live run, :mod:`.live`) or by reading a trace
(:mod:`.replay`), handing out frozen snapshots (:mod:`.snapshot`)."""
