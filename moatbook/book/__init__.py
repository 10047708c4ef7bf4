"""The book layer: what each chapter section shows (tables, charts, prose values), rendered as escaped HTML."""
