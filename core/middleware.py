def chinese_first(get_response):
    """Serve Simplified Chinese unless the user picked another language with the switch in the menu.

    Django's LocaleMiddleware would otherwise follow the browser's Accept-Language, and a staff phone set
    to English would get a half-translated portal. The language cookie set by the switch still wins.
    """

    def middleware(request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware
