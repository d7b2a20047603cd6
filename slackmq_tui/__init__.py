"""slackmq_tui: the `slackmq` command and the Textual lock console."""
