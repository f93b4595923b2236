"""The terminal UI (Textual): the only part of netviz that imports textual."""

# netviz serve's process id, in its sessions' environment: a session whose parent is no longer
# that process quits (tui.app). Here, not in tui.app, so the server need not import the app.
SERVER_PID = "NETVIZ_SERVER_PID"
