"""Payment-gateway adapters behind one interface (ADR 0006).

    from daftar.billing.gateways import gateway_for
    gateway = gateway_for("zarinpal")  # settings.DAFTAR_PAYMENT_GATEWAYS["zarinpal"]
    start = gateway.start(amount=1_250_000, order_id="B-1405-000123", callback_url=..., description=...)

Importing the package registers every adapter in ``gateway_classes``.
"""

from .base import (
    GatewayError,
    GatewayRefused,
    GatewayResult,
    GatewayStart,
    GatewayStatus,
    PaymentGateway,
    gateway_classes,
    gateway_for,
)
from .zarinpal import ZarinpalGateway
from .zibal import ZibalGateway

__all__ = [
    "GatewayError",
    "GatewayRefused",
    "GatewayResult",
    "GatewayStart",
    "GatewayStatus",
    "PaymentGateway",
    "ZarinpalGateway",
    "ZibalGateway",
    "gateway_classes",
    "gateway_for",
]
