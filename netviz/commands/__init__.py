"""The bodies of the CLI commands, one module each, imported only when run."""
