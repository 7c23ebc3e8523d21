"""The JSON API for municipal case systems. Errors are RFC 9457 problem JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify

from guidance.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate the API: CSRF does not apply.
csrf.exempt(bp)


@bp.get("/health")
def health():
    """Liveness for load balancers; reveals nothing."""
    return jsonify({"status": "ok"})
