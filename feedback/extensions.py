"""Extension points for the apps above feedback (roadmap, clubs): they register here in their
AppConfig.ready(), so feedback never imports them (the layers only point down).

- Demand listeners run inside the transaction that changed a request's votes (under its row lock):
  the roadmap keeps its business case exact this way.
- Detail panels add a section to the triage and portal pages of a request: a callable returns
  None or {"template": ..., plus context}; it must ask its own policy what the user may see.
"""

from collections.abc import Callable

_demand_listeners: list[Callable[[int], None]] = []
_detail_panels: list[tuple[str, Callable]] = []


def register_demand_listener(listener: Callable[[int], None]) -> None:
    if listener not in _demand_listeners:
        _demand_listeners.append(listener)


def demand_changed(*, feedback_id: int) -> None:
    for listener in _demand_listeners:
        listener(feedback_id)


def register_detail_panel(key: str, panel: Callable) -> None:
    """`panel(*, user, feedback, staff_page: bool) -> dict | None`."""
    if all(existing != key for existing, _panel in _detail_panels):
        _detail_panels.append((key, panel))


def detail_panels(*, user, feedback, staff_page: bool) -> list[dict]:
    panels = []
    for _key, panel in _detail_panels:
        result = panel(user=user, feedback=feedback, staff_page=staff_page)
        if result:
            panels.append(result)
    return panels
