from __future__ import annotations

from fastapi import APIRouter

from app.i18n import t
from app.web.deps import LangDep
from app.web.errors import FeatureUnavailableError

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("", summary="Monthly reports (501 until geo.reports / app.report_render are available)",
            responses={501: {"description": "Not available yet"}})
def list_reports(lang: LangDep) -> dict[str, object]:
    raise FeatureUnavailableError(t("rep.unavailable", lang))
