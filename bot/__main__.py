"""`python -m bot` is the same as the `rightsbot` command."""

from bot.cli import main

raise SystemExit(main())
