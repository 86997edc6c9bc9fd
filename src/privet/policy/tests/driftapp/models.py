from django.db import models


class Newsletter(models.Model):
    email = models.EmailField()
    joined = models.DateTimeField()
