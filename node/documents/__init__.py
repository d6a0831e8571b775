"""Documents (文书): the printable PDFs a window hands to a citizen, in Chinese.

Owns: the facts a document is made from (facts.py), the page layout with its CJK font and QR codes
(layout.py), the bodies a decision against the applicant is challenged before (remedies.py), and the
documents (kinds.py): 一次性告知书, 受理回执, 补正告知书, 不予受理决定书, the 办结 result, and
a 一件事's 一件事收件回执.
Documents are rendered from plain facts the desk gathers (node/desk/documents.py); every time
printed is Asia/Shanghai.
May import: the shared basics only — never the domain rooms, store, desk, runtime or cli.
"""
