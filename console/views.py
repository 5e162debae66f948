from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    # The tenant console lands here; until its pages exist, operators use admin.
    return redirect("admin:index")
