from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def coverage(request):
    return render(request, "grids/coverage.html", {})
