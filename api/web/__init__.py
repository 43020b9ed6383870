"""The negotiator's desk (issue 12): server-rendered pages served by the API at `/`."""

from api.web.pages import router

__all__ = ["router"]
