"""`GET /health`: is the server ready, which dataset it serves, and how big it is."""

from __future__ import annotations

from flask import Blueprint, jsonify

from karabakh_kg import __version__
from karabakh_kg.web.state import state

bp = Blueprint("health", __name__)


@bp.route("/health")
def health():
    """Report readiness, dataset version and triple counts; never waits on a query."""
    st = state()
    replay = st.replay
    manifest = st.release.manifest
    graphs = {name: info.get("triples") for name, info in manifest.get("graphs", {}).items()}
    body = {
        "status": "ok",
        "ready": True,
        "version": st.version,
        "package_version": __version__,
        "engine": type(st.engine).name,  # the kind only: a remote store's address is not the public's
        "storage": st.engine.storage,
        "triples": manifest.get("triples", sum(n or 0 for n in graphs.values())),
        "graphs": graphs,
        "query_timeout_s": st.settings["QUERY_TIMEOUT"],
        "stopped_queries": getattr(st.runner, "killed", 0),
        "refused_queries": getattr(st.runner, "refused", 0),  # admission control: every query process busy
        "cache": {"entries": len(st.cache), "bytes": st.cache.bytes, "hits": st.cache.hits, "misses": st.cache.misses},
        "replay": {"entries": len(replay), "bytes": replay.bytes, "hits": replay.hits},
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
