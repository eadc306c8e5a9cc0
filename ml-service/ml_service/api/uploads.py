"""Reading the multipart uploads of `/predict/batch` and `/datasets`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from segshared.contracts.customer import FEATURE_RANGES
from segshared.errors import Unprocessable
from starlette.datastructures import FormData, UploadFile

# Fills a CSV's missing purchase_frequency column (e.g. the Mall Customers file).
_FREQUENCY = FEATURE_RANGES["purchase_frequency"]
FillPurchaseFrequency = Annotated[int | None, Query(ge=_FREQUENCY.low, le=_FREQUENCY.high)]


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def uploaded_csv(form: FormData) -> UploadFile:
    """The file of the form field `file`; 422 if there is none."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Unprocessable("Upload a CSV file in the form field 'file'")
    return upload
