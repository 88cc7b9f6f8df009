"""The directory's groups mapped to our roles and support groups, and the audit of account actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.choices import Role
from escalation.models import SupportGroup


class DirectoryGroupMapping(models.Model):
    """One directory group (an OIDC ``groups`` claim value or an LDAP group's name) and what it grants.

    Edited by an administrator in the admin. At every directory sign-in (OIDC or LDAP) the person's
    roles and memberships are set from their groups: what the mappings no longer grant is taken away.
    """

    directory_group = models.CharField(
        _("directory group"),
        max_length=200,
        db_index=True,
        help_text=_("The group's name as the provider sends it (OIDC groups claim, LDAP group cn)."),
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices, blank=True)
    support_group = models.ForeignKey(
        SupportGroup,
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="directory_mappings",
    )
    is_lead = models.BooleanField(_("lead of the support group"), default=False)

    class Meta:
        ordering = ["directory_group", "id"]
        verbose_name = _("directory group mapping")
        verbose_name_plural = _("directory group mappings")
        constraints = [
            models.CheckConstraint(
                name="directorygroupmapping_grants_something",
                condition=~models.Q(role="") | models.Q(support_group__isnull=False),
                violation_error_message=_("A mapping grants a role, a support group, or both."),
            )
        ]

    def __str__(self) -> str:
        granted = [
            str(part) for part in (self.get_role_display() if self.role else "", self.support_group) if part
        ]
        return f"{self.directory_group} → {', '.join(granted)}"


class AccountAudit(models.Model):
    """Who did what to whose account: second-factor resets, data exports and erasures.

    Kept when the person is erased: ``subject_label`` is then their pseudonym, never their name.
    """

    class Action(models.TextChoices):
        SECOND_FACTOR_RESET = "2fa-reset", _("Second factor reset")
        EXPORTED = "exported", _("Data exported")
        ERASED = "erased", _("Erased")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A command run from a shell has no actor account: the operating-system user is named here.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_label = models.CharField(_("account"), max_length=150)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("account audit entry")
        verbose_name_plural = _("account audit")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_label}"


class DirectoryAccount(models.Model):
    """The link between a user and the directory entry they sign in with (OIDC ``sub`` or LDAP DN).

    A directory sign-in finds its user by this link only, never by a username or an address: an
    account made by hand (the break-glass administrator) cannot be taken over from the directory.
    """

    class Source(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        LDAP = "ldap", _("LDAP")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_account"
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    subject = models.CharField(_("subject"), max_length=255)
    last_sign_in = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")
        constraints = [
            models.UniqueConstraint(fields=["source", "subject"], name="directoryaccount_unique_subject")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.user}"


class Account(User):
    """The people's accounts as the identity app's admin shows them (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("account (sign-in and data)")
        verbose_name_plural = _("accounts (sign-in and data)")
