from django.urls import path

from . import views

app_name = "consent"
urlpatterns = [
    path("consent/demo/", views.demo, name="demo"),
    path("consent/demo/beacon", views.demo_beacon, name="demo-beacon"),
    path("consent/demo/embed", views.demo_embed, name="demo-embed"),
]
