"""Appointments (نوبت‌دهی): citizens' bookings and the desk's, included into the ``web`` namespace
(see views_booking; the check-in box is on the desk page, views_desk)."""

from django.urls import URLPattern, path

from . import views_booking, views_kiosk

urlpatterns: list[URLPattern] = [
    path("appointments/", views_booking.bookings, name="bookings"),
    path("appointments/new/", views_booking.booking_new, name="booking_new"),
    path("appointments/<str:code>/", views_booking.booking_detail, name="booking"),
    path("appointments/<str:code>/cancel/", views_booking.booking_cancel_view, name="booking_cancel"),
    path("appointments/<str:code>/move/", views_booking.booking_move, name="booking_move"),
    # the desk: the office's bookings of a day, and booking for the applicant chosen at the desk
    path("desk/appointments/", views_booking.desk_bookings, name="desk_bookings"),
    path("desk/appointments/new/", views_booking.desk_booking_new, name="desk_booking_new"),
    # the office's kiosk: a booking checks in by its code and the holder's national code
    path("queue/<str:office_code>/kiosk/check-in/", views_kiosk.kiosk_check_in, name="kiosk_check_in"),
]
