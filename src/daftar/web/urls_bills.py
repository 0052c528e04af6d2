"""Citizens' bills and online payment, included into the ``web`` namespace (see views_bills)."""

from django.urls import URLPattern, path

from . import views_bills

urlpatterns: list[URLPattern] = [
    path("bills/", views_bills.bills, name="bills"),
    path("bills/settle/", views_bills.bills_settle, name="bills_settle"),
    path("bills/<str:number>/", views_bills.bill_detail, name="bill"),
    path("bills/<str:number>/pay/", views_bills.bill_pay, name="bill_pay"),
    # The bank sends the payer's browser back here (GET or POST); verified server to server.
    path("pay/callback/<str:provider>/", views_bills.pay_callback, name="pay_callback"),
    path("pay/result/<str:order_id>/", views_bills.pay_result, name="pay_result"),
    path("pay/result/<str:order_id>/check/", views_bills.pay_recheck, name="pay_recheck"),
    path("pay/result/<str:order_id>/receipt/", views_bills.payment_receipt, name="payment_receipt"),
    path("receipts/<str:number>.pdf", views_bills.receipt_download, name="receipt_pdf"),
    path("verify/receipt/<str:number>/", views_bills.receipt_verify, name="receipt_verify"),
    path("verify/receipt/<str:number>/payload.json", views_bills.receipt_payload, name="receipt_payload"),
]
