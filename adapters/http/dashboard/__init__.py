"""The operations dashboard: a static page, its script and style, and the chart
library vendored at install (ADR 020)."""
