from django.urls import path

from attribution.views import thanks, webhook

app_name = "attribution"

urlpatterns = [
    path("api/v1/sales/", webhook.receive_sales_event, name="sales-webhook"),
    path("thanks/opt-out/<str:token>/", thanks.opt_out, name="thanks-opt-out"),
]
