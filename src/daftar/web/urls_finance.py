"""The office counter's bill pages and the city's finance pages (see views_finance for who may do what)."""

from django.urls import URLPattern, path

from . import views_finance

urlpatterns: list[URLPattern] = [
    # the office counter
    path("desk/bills/", views_finance.desk_bills, name="desk_bills"),
    path("desk/bills/<str:number>/", views_finance.desk_bill, name="desk_bill"),
    path("desk/payments/<str:order_id>/", views_finance.desk_payment, name="desk_payment"),
    path(
        "desk/payments/<str:order_id>/reverse/",
        views_finance.desk_payment_reverse,
        name="desk_payment_reverse",
    ),
    path("desk/cash-up/", views_finance.desk_cashup, name="desk_cashup"),
    path("desk/cash-up/csv/", views_finance.desk_cashup_csv, name="desk_cashup_csv"),
    # finance: city-scoped
    path("finance/settlement/", views_finance.finance_settlement, name="finance_settlement"),
    path(
        "finance/settlement/<str:fmt>/",
        views_finance.finance_settlement_export,
        name="finance_settlement_export",
    ),
    path("finance/reconcile/", views_finance.finance_reconcile, name="finance_reconcile"),
    path("finance/bills/", views_finance.finance_bills, name="finance_bills"),
    path("finance/bills/<str:number>/", views_finance.finance_bill, name="finance_bill"),
]
