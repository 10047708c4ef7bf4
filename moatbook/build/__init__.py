"""The build layer: plan against the execution cache, execute chapters, render and publish books, the site."""

from .pipeline import BuildError, BuildReport, build_book, build_books, source_version, toc_chapters

__all__ = ["BuildError", "BuildReport", "build_book", "build_books", "source_version", "toc_chapters"]
