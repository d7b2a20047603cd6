from slackmq_tui.cli import main

raise SystemExit(main())
