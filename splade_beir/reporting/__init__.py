"""Stage 6, reporting: Results -> tables (Markdown, CSV), significance marks, the FLOPS plot, README blocks."""
