"""The build layer: execute the chapters, render and publish a book, the cross-brand site, the benchmark."""

from .pipeline import BuildError, BuildReport, build_book, publish, source_version, toc_chapters

__all__ = ["BuildError", "BuildReport", "build_book", "publish", "source_version", "toc_chapters"]
