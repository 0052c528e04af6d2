"""The local sandbox bank: a stand-in for an Iranian internet payment gateway (IPG).

Unlike the agency simulators beside it, this one is a Django app living in the same process: its own
table (``SandboxPayment``), its own pages under ``/sandbox-bank/`` (mounted only when
``settings.DAFTAR_SANDBOX_BANK`` is on: dev, tests, the demo; never production) and a gateway
adapter, ``SandboxGateway`` (code ``"sandbox"``), registered with billing's ``gateway_classes``.

A real gateway is reached over HTTP (see ``daftar.billing.gateways.zarinpal``); the sandbox's adapter
reads and writes its own table directly instead, but keeps exactly the same contract: ``start``
registers a payment and names the page to send the payer to, the payer's browser comes back to the
callback URL with ``authority`` and ``status=OK|NOK``, and only ``verify`` (idempotent) says what
really happened. The bank's pages let a person act out every case the payment code must survive:
paid, cancelled, failure after the debit, a payer who never comes back, a timeout, and a debit of
a different amount.
"""
