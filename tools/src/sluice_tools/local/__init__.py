"""Dev-only: running the pipeline on one machine (the `local` extra). Nothing a handler imports
may import this package."""
