"""The web front desk (前台): pages in simplified Chinese for 代办员, 窗口, 审核, 监察 and anyone who
checks a sealed result, served by the node itself.

It owns HTTP only: sessions, CSRF, templates and charts. Every rule it shows or enforces comes from
the services below it (node/cases, node/staff, node/supervision, node/trust), the same ones the
Desk gRPC service calls. It may import every room below node.runtime, and node.runtime starts it.

static/htmx-2.0.4.min.js is htmx 2.0.4 exactly as published on npm (package htmx.org, file
dist/htmx.min.js), SHA-256 e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447
(tests/test_web.py checks it).
"""
