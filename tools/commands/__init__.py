"""One module per `flowc` subcommand; the CLI imports each lazily."""
