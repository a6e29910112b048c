"""Organizations named by imports: created once, details an earlier capture lacked are filled."""

import pytest

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import OrganizationRecord
from dailypapers.papers.models import Organization
from tests.factories import paper_record

pytestmark = pytest.mark.django_db


def test_a_later_capture_fills_the_avatar_an_earlier_one_lacked():
    bare = paper_record(organization="Tsinghua")
    bare.organization = OrganizationRecord(name="Tsinghua", fullname="Tsinghua University")
    later = paper_record(organization="Tsinghua")
    later.organization = OrganizationRecord(
        name="Tsinghua",
        fullname="Something Else",
        avatar_url="https://example.org/tsinghua.png",
        hf_id="628735cbc83a2d6ab8d14a66",
    )

    import_records([bare])
    import_records([later])

    organization = Organization.objects.get(name="Tsinghua")
    assert organization.avatar_url == "https://example.org/tsinghua.png"
    assert organization.hf_id == "628735cbc83a2d6ab8d14a66"
    assert organization.fullname == "Tsinghua University"  # filled once, never replaced
    assert Organization.objects.count() == 1


def test_filling_organization_details_is_idempotent():
    record = paper_record(organization="MIT")
    record.organization = OrganizationRecord(
        name="MIT", fullname="MIT", avatar_url="https://example.org/mit.png"
    )
    import_records([record])
    again = import_records([record])

    assert (again.created, again.updated) == (0, 0)
    assert Organization.objects.get(name="MIT").avatar_url == "https://example.org/mit.png"
