"""Serve a test's app over real HTTP in a thread, for tests that need truly concurrent requests."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import requests
from werkzeug.serving import make_server


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Yield the base URL of `app` served by a threaded server (one thread per request)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def logged_in(base: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    response = browser.post(f"{base}/login", data={"email": email, "password": password}, allow_redirects=False)
    if response.status_code == 302 and response.headers["Location"].endswith("/login/code"):
        from tests.app.factories import second_factor_code, user_by_email

        code = second_factor_code(user_by_email(email))  # the test process's app context
        response = browser.post(f"{base}/login/code", data={"code": code}, allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return browser


def at_once(count: int, send: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run `send` in `count` threads released together; the responses in thread order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = send()
        except BaseException as error:  # reported by the caller's assertions
            results[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
