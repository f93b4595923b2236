"""``netviz check``: run a learner's own from-scratch network script, record the values it
assigns, and find the first op where they part from the reference rules, with the likely
mistake proven by recomputing it. Uses the core (the reference) only; knows nothing of the UI.

- :mod:`.names`: which of the learner's variable names mean which array.
- :mod:`.script`: runs the script as ``__main__`` and reports each recognised assignment.
- :mod:`.reference`: what each op should give, computed from the learner's own inputs.
- :mod:`.mistakes`: the catalogue of common mistakes, each recomputed to prove it.
- :mod:`.checker`: follows passes, epochs and updates, and finds the first difference.
"""
