"""E-mails to the people concerned: when a train ends, when a wagon's test fails.

``notice_for_train`` and ``notice_for_test`` write the message (pure); ``send`` hands it to the
SMTP server of ``wagonyard.yaml`` (``notifications``). Without a server the notice is only
recorded on the history branch (the site's feeds read it there).
"""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from pydantic import BaseModel, ConfigDict

from controller.catalog.catalog import Catalog
from controller.config import Notifications
from controller.errors import WagonyardError
from controller.records import TrainRecord


class Notice(BaseModel):
    """One notification, as recorded on the history branch."""

    model_config = ConfigDict(extra="forbid")

    key: str
    subject: str
    body: str
    to: list[str]
    sent: bool = False
    error: str = ""


def recipients(catalog: Catalog, analyses: list[str], settings: Notifications) -> list[str]:
    """The members' addresses and the ``notify`` addresses of the analyses, each once."""
    out: list[str] = []
    for name in sorted(set(analyses)):
        entry = catalog.analyses.get(name)
        if entry is None:
            continue
        for login in entry.model.members:
            out.append(settings.member_address.format(login=login))
        out += list(entry.model.notify)
    return sorted(set(out))


def _link(settings: Notifications, path: str) -> str:
    return f"{settings.site_url.rstrip('/')}/{path}" if settings.site_url else ""


def notice_for_train(
    key: str, record: TrainRecord, catalog: Catalog, settings: Notifications, output_root: str
) -> Notice:
    analyses = [w.ref.split("/", 1)[0] for w in record.wagons if w.enabled]
    lines = [
        f"Train {record.train_id} on dataset {record.dataset} ended: {record.state}.",
        "",
        f"Wagons: {', '.join(sorted({w.ref for w in record.wagons if w.enabled}))}",
        f"Catalog commit: {record.catalog_commit}",
    ]
    if record.output is not None:
        lines += [
            f"Events processed: {record.events_processed:,}",
            f"Output: {output_root}/{record.output.path}",
        ]
    if record.message:
        lines += ["", record.message]
    link = _link(settings, f"trains/{record.train_id}.html")
    if link:
        lines += ["", f"The train's page: {link}"]
    return Notice(
        key=key,
        subject=f"[wagonyard] train {record.train_id} {record.state}",
        body="\n".join(lines) + "\n",
        to=recipients(catalog, analyses, settings),
    )


def notice_for_test(
    key: str, dataset: str, ref: str, reasons: list[str], catalog: Catalog, settings: Notifications
) -> Notice:
    lines = [f"The wagon test of {ref} on dataset {dataset} failed.", ""]
    lines += [f"- {r}" for r in reasons] or ["(no reason recorded)"]
    lines += ["", "It enters no train until a test of a new version passes."]
    link = _link(settings, f"wagons/{ref.replace('/', '-')}.html")
    if link:
        lines += ["", f"The wagon's page: {link}"]
    return Notice(
        key=key,
        subject=f"[wagonyard] wagon test failed: {ref} on {dataset}",
        body="\n".join(lines) + "\n",
        to=recipients(catalog, [ref.split("/", 1)[0]], settings),
    )


def send(notice: Notice, settings: Notifications) -> None:
    """Mail it; raise ``WagonyardError`` saying why it could not be sent."""
    if not settings.smtp_host or not notice.to:
        return
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(notice.to)
    message["Subject"] = notice.subject
    message.set_content(notice.body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                password = os.environ.get(settings.password_env or "", "")
                smtp.login(settings.username, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise WagonyardError(
            f"cannot send '{notice.subject}' through {settings.smtp_host}:{settings.smtp_port}: "
            f"{exc}; check 'notifications' in wagonyard.yaml"
        ) from exc
