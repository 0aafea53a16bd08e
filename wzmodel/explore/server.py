"""Serving the explorer page: only the app (Panel's server, no notebook, no file browser, no
terminal), on 127.0.0.1 unless told otherwise, and then behind a token.

Each visitor gets a page of their own (:func:`~wzmodel.explore.page.explorer_page`). The
websocket accepts only the page's own origin (a page of another site cannot drive it), and its
messages are capped (:data:`MAX_MESSAGE_BYTES`; uploads are checked again, smaller, by
:mod:`wzmodel.explore.uploads`).
"""

from __future__ import annotations

import hmac
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

from wzmodel.data import example_path

__all__ = ["LOCAL_HOSTS", "MAX_MESSAGE_BYTES", "WILDCARD_HOSTS", "bundled_scenarios", "serve",
           "visitor_hosts"]

LOCAL_HOSTS = ("127.0.0.1", "localhost")
WILDCARD_HOSTS = ("0.0.0.0", "::")
"""Listening on every address: visitors come by this machine's name or one of its addresses."""
MAX_MESSAGE_BYTES = 8_000_000
"""Largest websocket message (an upload arrives as one, base64: 2 MB of workbook ≈ 2.7 MB)."""
DEFAULT = "Shanghai: district_huangpu"
"""Opened first: a district answers within seconds (≈ 15 s cold); the city takes a minute."""


def bundled_scenarios() -> dict[str, Path]:
    """Label → file of the scenarios shipped with the code: the bundled Shanghai data's (in a
    checkout of the repository) and the tiny example's."""
    found = {}
    shanghai = Path(__file__).resolve().parents[2] / "data" / "shanghai" / "scenarios"
    for label, folder in (("Shanghai", shanghai), ("tiny example", example_path() / "scenarios")):
        for path in sorted(folder.glob("*.toml")):
            if path.stem != "uncertainty":  # a sweep's declarations, not a plan to explore
                found[f"{label}: {path.stem}"] = path
    return found


def serve(scenario: str | Path | None = None, *, port: int = 8765, host: str = "127.0.0.1",
          token: str | None = None, show: bool = True, solver: dict | None = None) -> int:
    """Serve the page until Ctrl-C (then return 0). ``scenario``: a file, or a label of
    :func:`bundled_scenarios` (default :data:`DEFAULT`, else the first). Off 127.0.0.1 a token
    is required: ``token``, or a new one printed with the address."""
    import panel as pn

    from wzmodel.explore.page import explorer_page

    scenarios = bundled_scenarios()
    if scenario is not None and str(scenario) not in scenarios:
        path = Path(scenario).resolve()
        scenarios = {f"file: {path.name}": path, **scenarios}
        default = f"file: {path.name}"
    else:
        default = str(scenario) if scenario else DEFAULT if DEFAULT in scenarios else next(iter(scenarios))
    if host not in LOCAL_HOSTS and not token:
        token = secrets.token_urlsafe(18)

    def page():
        if token and not hmac.compare_digest(_argument("token"), token):
            return pn.pane.Markdown("## A token is needed\nOpen the address the explorer printed "
                                    "when it started (it ends in `?token=…`).")
        return explorer_page(scenarios, default, solver=solver)

    names = visitor_hosts(host)
    address = f"http://{names[0]}:{port}/" + (f"?token={token}" if token else "")
    print(f"wzmodel explore: serving {default} at {address} (Ctrl-C stops it)", flush=True)
    with tempfile.TemporaryDirectory(prefix="wzmodel-explore-font-") as fonts:
        pn.config.global_css = [_cjk_font_css(Path(fonts))]
        pn.serve({"/": page}, port=port, address=host,
                 websocket_origin=[f"{name}:{port}" for name in names],
                 show=show, title="wzmodel explorer", websocket_max_message_size=MAX_MESSAGE_BYTES,
                 verbose=False, admin=False, static_dirs={"wzfont": fonts})
    print("wzmodel explore: stopped", flush=True)
    return 0


def visitor_hosts(host: str) -> list[str]:
    """The host names a visitor's browser may use for a server listening on ``host`` — the
    page's websocket accepts only these origins — the one to print first. On every address
    (``0.0.0.0``) that is this machine's outward address, its names and loopback: a bare
    ``0.0.0.0`` would refuse every real visitor."""
    if host in LOCAL_HOSTS:
        return ["127.0.0.1", "localhost"] if host == "127.0.0.1" else ["localhost", "127.0.0.1"]
    if host not in WILDCARD_HOSTS:
        return [host]
    names = [_outward_address(), socket.gethostname(), socket.getfqdn()]
    try:
        names += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    return list(dict.fromkeys(n for n in [*names, "localhost", "127.0.0.1"] if n))


def _outward_address() -> str | None:
    """The address other machines reach this one by (the one a packet out would leave from;
    a UDP 'connect' sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never answered, only routed
            return probe.getsockname()[0]
        except OSError:
            return None


def _cjk_font_css(folder: Path) -> str:
    """Noto Sans SC (the figures' font) copied alone into ``folder``, which the server shares,
    and a style using it for Chinese: browsers without a CJK font show names, not boxes."""
    import pylopdf_fonts_zh_cn

    source = Path(pylopdf_fonts_zh_cn.sans_path())
    shutil.copyfile(source, folder / source.name)
    return (f"@font-face {{font-family: 'WZ Noto Sans SC'; src: url('/wzfont/{source.name}');}}\n"
            "body, .bk-root, .tabulator {font-family: system-ui, 'DejaVu Sans', sans-serif, "
            "'WZ Noto Sans SC';}")


def _argument(name: str) -> str:
    import panel as pn

    values = (pn.state.session_args or {}).get(name) or [b""]
    return values[0].decode("utf-8", "replace")
