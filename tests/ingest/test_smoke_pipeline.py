import pytest

from dailypapers.papers.models import Paper
from tests.factories import make_paper


@pytest.mark.django_db
def test_make_paper_goes_through_the_pipeline():
    paper = make_paper(title="Hello", authors=["A", "B"])
    assert Paper.objects.get(pk=paper.pk).title == "Hello"
    assert [a.author.name for a in paper.authorships.order_by("position")] == ["A", "B"]
