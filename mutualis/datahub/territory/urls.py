from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("", views.territory, name="index"),
    path("commune/<str:code>/", views.commune, name="commune"),
    path("member/<int:pk>/", views.member, name="member"),
    path("sensor/<int:pk>/", views.sensor, name="sensor"),
]
