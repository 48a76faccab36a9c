"""Text → checked policy: the grammar and parser, the typed AST (`nodes`) and its builder,
the printer back to text, the unit algebra, the tables of built-in functions and score
forms, the sandboxed templates, and the checker's passes (`check`) with their product
(`checked`)."""
