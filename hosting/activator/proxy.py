"""Forward one held request to a ready instance and stream the answer back."""
from collections.abc import Callable

from aiohttp import ClientSession, web

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "proxy-connection"}


def forwardable(headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


async def proxy(request: web.Request, client: ClientSession,
                address: tuple[str, int],
                on_first_byte: Callable[[int], object] | None = None) -> web.StreamResponse:
    """Same method, path, query, headers and body; the response is streamed, not buffered."""
    host, port = address
    url = f"http://{host}:{port}{request.rel_url}"
    body = request.content if request.body_exists else None
    async with client.request(request.method, url, headers=forwardable(request.headers),
                              data=body, allow_redirects=False) as upstream:
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason,
                                      headers=forwardable(upstream.headers))
        await response.prepare(request)
        if on_first_byte:  # the status line and headers are on their way to the client
            on_first_byte(upstream.status)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response
