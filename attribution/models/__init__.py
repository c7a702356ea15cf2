"""Attribution's tables: sales in (sources, inbox, sales, refunds), credit, exports and thank-you e-mails."""

from attribution.models.credits import Credit, Model
from attribution.models.exports import ClosedFigure, ClosedPeriod, FinanceExport
from attribution.models.imports import SalesImport
from attribution.models.sales import InboxEvent, Refund, RejectedDelivery, Sale, SalesSource, SourceSecret
from attribution.models.thanks import MailOptOut, ThankYouMessage, ThankYouTemplate

__all__ = [
    "ClosedFigure", "ClosedPeriod", "Credit", "FinanceExport", "InboxEvent", "MailOptOut", "Model",
    "RejectedDelivery", "Refund", "Sale", "SalesImport", "SalesSource", "SourceSecret", "ThankYouMessage",
    "ThankYouTemplate",
]
