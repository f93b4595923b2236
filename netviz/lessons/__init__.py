"""Lessons: paths of stops through a tour, each with a short text and, at marked stops, a
question the learner answers before netviz shows the value (:mod:`.format` reads and checks a
lesson file, :mod:`.questions` computes each right answer from the run and scores an answer).
The shipped course is in ``course/``, written in the same TOML format as a teacher's own.
Uses the core and the trace's addresses; knows nothing of the UI."""
