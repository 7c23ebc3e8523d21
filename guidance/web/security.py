"""Security headers on every response."""
from urllib.parse import urlsplit

from flask import Flask

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(app: Flask) -> str:
    """The policy, with the identity providers' origins allowed as form targets: the login buttons
    and the log-out button post here and are redirected there, and browsers check form-action on
    every redirect after a form is sent."""
    origins = sorted({"{0.scheme}://{0.netloc}".format(urlsplit(p.issuer)) for p in app.config.get("OIDC_PROVIDERS", [])})
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


def register_security_headers(app: Flask) -> None:
    policy = content_security_policy(app)

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("PRODUCTION"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            # Pages show personal data: never cache them in shared or browser caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
