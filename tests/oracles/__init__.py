"""Independent oracles: results computed without flowc, that flowc's engines are held to."""
