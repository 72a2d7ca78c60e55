"""Print settings from the configuration reach the files: dpi and QR error correction level."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import zxingcpp
from flask import Flask

from doorplate.places.models import Household, Village
from doorplate.plates import printing
from doorplate.plates.printing import Format, RenderOptions
from doorplate.plates.render import RenderError

from .conftest import active_plate
from .render.scan import png_image


@pytest.mark.parametrize(("dpi", "ecc"), [(150, "L"), (300, "H")])
def test_household_png_uses_configured_dpi_and_ecc(
    make_app: Callable[..., Flask],
    make_village: Callable[..., Village],
    make_household: Callable[..., Household],
    dpi: int,
    ecc: str,
) -> None:
    app = make_app(PLATE_DPI=dpi, PLATE_ECC=ecc.lower())
    with app.app_context():
        household = make_household(make_village(), address="上垟路2号")
        export = printing.export_household("tester", household, Format.PNG)
        image = png_image(export.data)
        assert image.info["dpi"] == pytest.approx(
            (dpi, dpi), abs=0.05
        )  # stored as pixels per metre
        assert image.width == round(60 / 25.4 * dpi)  # 60 mm wide at that resolution
        codes = zxingcpp.read_barcodes(image.convert("L"))
        assert [c.text for c in codes] == [printing.plate_url(active_plate(household.id).token)]
        assert codes[0].ec_level == ecc


def test_an_unknown_ecc_level_is_refused_with_a_clear_message(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(PLATE_ECC="X")
    with app.app_context(), pytest.raises(RenderError, match="PLATE_ECC must be one of"):
        RenderOptions.from_config()
