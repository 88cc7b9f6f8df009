"""The callers' self-help (issue 24 §3): search and browse the public knowledge base, forgiving typos.

Reads go through ``knowledge.selfhelp``, which offers published public articles only, whoever asks.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge import selfhelp


@login_required
@require_GET
def knowledge_help(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:500]
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else 1
    if q.strip():
        articles, forgiving = selfhelp.help_search(q)
    else:
        articles, forgiving = selfhelp.help_browse(page=page), False
    return render(
        request,
        "portal/help.html",
        {
            "q": q,
            "articles": articles,
            "forgiving": forgiving,
            "page": page,
            "has_next": not q.strip() and len(articles) == selfhelp.PAGE_SIZE,
        },
    )
