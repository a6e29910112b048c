"""A small API guarded by ``TokenAuth``, as another feature's write endpoints use it (test URLconf)."""

from django.urls import path
from ninja import NinjaAPI

from dailypapers.accounts.auth import TokenAuth

api = NinjaAPI(urls_namespace="accounts-token-test", auth=TokenAuth())


@api.get("/whoami")
def whoami(request):
    return {"auth": request.auth.get_username(), "user": request.user.get_username()}


@api.post("/write")
def write(request):
    return {"written_by": request.auth.get_username()}


urlpatterns = [path("api/", api.urls)]
