from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dispute_index(request):
    return render(request, "mediation/index.html", {})
