"""C analysis (pure, no I/O): tree-sitter-c over hunk fragments or whole files."""
