"""Admin forms for brand accounts: the avatar goes through the image pipeline, never stored as uploaded."""

from django import forms

from accounts.images import AVATAR, ImageRejected, render_image
from accounts.models import BrandAccount


class BrandAccountForm(forms.ModelForm):
    avatar_upload = forms.FileField(
        label="Avatar", required=False,
        help_text="JPEG, PNG, WebP or GIF up to 5 MB; Chorus stores a 256×256 square made from it.",
    )

    class Meta:
        model = BrandAccount
        fields = ["name", "slug", "kind", "parent", "active", "description", "brand_colour", "timezone", "currency"]

    def clean_avatar_upload(self):
        upload = self.cleaned_data.get("avatar_upload")
        if upload:
            try:
                self.avatar_rendition = render_image(upload=upload, renditions=[AVATAR])["avatar"]
            except ImageRejected as error:
                raise forms.ValidationError(str(error)) from None
        return upload

    def save(self, commit=True):
        account = super().save(commit=False)
        rendition = getattr(self, "avatar_rendition", None)
        if rendition is not None:
            account.avatar.save(rendition.name, rendition, save=False)
        if commit:
            account.save()
            self._save_m2m()
        return account
