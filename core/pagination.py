"""Pagination that never counts the whole result: it fetches one row more than a page to know
whether there is a next one. A COUNT(*) over a million filtered rows costs more than the page."""

from dataclasses import dataclass, field


@dataclass
class LightPage:
    object_list: list
    number: int
    has_next: bool
    per_page: int
    paginator: None = field(default=None)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def light_page(queryset, *, page: str | int | None, per_page: int = 50, max_page: int = 200) -> LightPage:
    try:
        number = max(1, min(int(page or 1), max_page))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return LightPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page, per_page=per_page)
