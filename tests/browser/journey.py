"""Helpers shared by the browser journeys: pages per role, staff sign-in, PDFs to upload."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

PASSWORD = "x-test-password-1405"


def pdf_bytes() -> bytes:
    """A real one-page PDF, as a scanner would produce (Pillow writes it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (255, 255, 255)).save(buffer, "PDF")
    data = buffer.getvalue()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-64:]
    return data


def pdf_file(name: str) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes()}


def new_page(browser: Browser, contexts: list[BrowserContext], *, wide: bool = False) -> Page:
    """A page in its own browser context (one per person), phone-sized unless ``wide``."""
    viewport = {"width": 1280, "height": 900} if wide else {"width": 390, "height": 844}
    context = browser.new_context(locale="fa-IR", viewport=viewport)  # type: ignore[arg-type]
    contexts.append(context)
    return context.new_page()


def staff_sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/staff/signin/")
    page.get_by_label("نام کاربری").fill(username)
    page.get_by_label("گذرواژه").fill(PASSWORD)
    page.get_by_role("button", name="ورود").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def expect_state(page: Page, name: str) -> None:
    expect(page.locator("[data-state]").first).to_have_text(name)
