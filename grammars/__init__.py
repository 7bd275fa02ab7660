"""Package data: the grammar of the `.flow` language (`flow.lark`)."""
