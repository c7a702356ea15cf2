from django.urls import path

from attribution.views import webhook

app_name = "attribution"

urlpatterns = [
    path("api/v1/sales/", webhook.receive_sales_event, name="sales-webhook"),
]
