"""The tour in a web browser: a textual-serve server that runs one netviz process per browser
session (see :mod:`.server`); ``netviz serve`` (:mod:`netviz.commands.serve`) starts it."""
