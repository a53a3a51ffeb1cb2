"""`python -m bot` is the `tremplin` command."""

from bot.cli import main

raise SystemExit(main())
