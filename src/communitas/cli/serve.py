"""``communitas serve``: the local dashboard."""

from __future__ import annotations

import ipaddress
import secrets

import typer

from communitas.cli.common import HostOpt, NamesOpt, PortOpt, StoreOpt, console
from communitas.errors import EmptyStore
from communitas.store import store_path


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    names: NamesOpt = False,
    store: StoreOpt = None,
) -> None:
    """Run the local dashboard (read-only for the data) until Ctrl-C.

    Example: communitas serve --port 8000 --store communitas.duckdb
    """
    path = store_path(store)
    if not path.is_file():
        raise EmptyStore(f"{path}: no store here yet. Run `communitas ingest PATH` first "
                         "(or point --store / $COMMUNITAS_STORE at an existing store).")
    import uvicorn

    from communitas.web import create_app

    token = None if is_loopback(host) else secrets.token_urlsafe(18)
    app = create_app(path, token=token, show_names=names, host=host)
    url = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    console.print(f"dashboard: {url}", highlight=False, soft_wrap=True)
    if token:
        console.print("listening beyond this machine: the token above is required.", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command()(serve)
