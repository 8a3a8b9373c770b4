"""The app as ASGI (a2wsgi runs the WSGI app in a thread pool), for the uvicorn front in bench/fronts.py."""

from a2wsgi import WSGIMiddleware

from karabakh_kg.web.app import create_app


def app():
    return WSGIMiddleware(create_app(), workers=4)
