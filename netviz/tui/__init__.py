"""The terminal UI (Textual): the only part of netviz that imports textual."""
