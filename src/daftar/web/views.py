from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Daftar")


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse(status=429)
