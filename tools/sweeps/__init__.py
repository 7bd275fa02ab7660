"""What a sweep shows and writes: its tables and files, its heat map, its live progress."""
