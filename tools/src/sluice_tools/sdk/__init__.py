"""The web SDK's rules as the tools model them: its delivery settings and policies (:mod:`.delivery`),
the one source that ``clients/web`` and the cost model and the health simulation share."""
