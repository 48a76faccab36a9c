"""What is built on the public API: the formatter, the semantic diff, policy tests (and
their pytest plugin), bulk evaluation, the policy pages site and the Pygments lexer."""
