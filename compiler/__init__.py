"""The middle and back end of flowc: names, graph, lint, optimisation, plan and code generation."""
