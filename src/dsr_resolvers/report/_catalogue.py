"""Every word the access report and the erasure receipt show, in each shipped language.

One catalogue, so a translation is one more column, and a test checks that no language lacks
a message. Messages are ``str.format`` templates; values come from the caller, escaped.

| table        | what it holds                                                        |
|--------------|----------------------------------------------------------------------|
| ``MESSAGES`` | headings, labels, explanations: ``{key: (English, German)}``         |
| ``FIELDS``   | record field keys in words (``last_seen_at`` -> "Last seen")         |

A field key the catalogue does not know is shown as the key with spaces for ``_`` and ``.``:
readable, and never hidden.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["LANGUAGES", "Language", "Words"]

Language = Literal["en", "de"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # the page
    "title": (
        "Your personal data held in Intercom",
        "Ihre in Intercom gespeicherten personenbezogenen Daten",
    ),
    "lede": (
        "This report answers a request for access under Article 15 of the General Data "
        "Protection Regulation (GDPR). It lists every piece of personal data about you that "
        "was found in Intercom, the customer messaging service used by the controller named "
        "below, and what the law says you are entitled to know about its use.",
        "Dieser Bericht beantwortet einen Antrag auf Auskunft nach Artikel 15 der "
        "Datenschutz-Grundverordnung (DSGVO). Er führt alle personenbezogenen Daten über Sie "
        "auf, die in Intercom gefunden wurden, dem Kundenkommunikationsdienst des unten "
        "genannten Verantwortlichen, und was Sie nach dem Gesetz über ihre Verwendung "
        "erfahren müssen.",
    ),
    "for": ("Prepared for", "Erstellt für"),
    "produced": ("Produced", "Erstellt am"),
    "contact_ids": ("Intercom contact ids", "Intercom-Kontakt-IDs"),
    "looked_for": ("Looked for by", "Gesucht nach"),
    "looked_for_contact_id": ("contact id (no search)", "Kontakt-ID (ohne Suche)"),
    "looked_for_email": ("email address", "E-Mail-Adresse"),
    "looked_for_phone": ("phone number", "Telefonnummer"),
    "looked_for_external_id": ("customer id", "Kundennummer"),
    "search_limits": (
        "Intercom's search does not find archived contacts, nor contacts created in the last "
        "few minutes; such contacts are reached only by their contact id.",
        "Die Suche von Intercom findet weder archivierte Kontakte noch Kontakte, die erst vor "
        "wenigen Minuten angelegt wurden; solche Kontakte sind nur über ihre Kontakt-ID "
        "erreichbar.",
    ),
    "nothing_held": (
        "Intercom holds no personal data under the contacts searched.",
        "Intercom speichert unter den gesuchten Kontakten keine personenbezogenen Daten.",
    ),
    "generator": (
        "Produced by dsr-resolvers {version} from Intercom's answers at the time shown above.",
        "Erstellt mit dsr-resolvers {version} aus den Antworten von Intercom zum oben "
        "genannten Zeitpunkt.",
    ),
    "contents": ("Contents", "Inhalt"),
    # summary
    "summary": ("Summary", "Zusammenfassung"),
    "summary_intro": (
        "{records} pieces of data about you were found, in these categories:",
        "Es wurden {records} Angaben über Sie gefunden, in diesen Kategorien:",
    ),
    "category": ("Category", "Kategorie"),
    "what_it_is": ("What it is", "Was das ist"),
    "records": ("Pieces of data", "Angaben"),
    # Art. 15(1)
    "art15": (
        "How your data is used (Art. 15(1) GDPR)",
        "Wie Ihre Daten verwendet werden (Art. 15 Abs. 1 DSGVO)",
    ),
    "controller": ("Controller", "Verantwortlicher"),
    "dpo": ("Data protection officer", "Datenschutzbeauftragte(r)"),
    "purpose": ("Purpose", "Zweck"),
    "legal_basis": ("Legal basis", "Rechtsgrundlage"),
    "retention": ("How long it is kept", "Speicherdauer"),
    "recipients": ("Recipients", "Empfänger"),
    "source": ("Source", "Herkunft"),
    "no_recipients": ("none", "keine"),
    "no_record": (
        "The controller has not provided its record of processing with this report: the "
        "purposes, legal bases, retention periods, recipients and sources of the data are not "
        "stated here. Ask the controller for them; you are entitled to them under Art. 15(1).",
        "Der Verantwortliche hat diesem Bericht kein Verzeichnis der Verarbeitungstätigkeiten "
        "beigefügt: Zwecke, Rechtsgrundlagen, Speicherdauer, Empfänger und Herkunft der Daten "
        "sind hier nicht angegeben. Fragen Sie den Verantwortlichen danach; nach Art. 15 Abs. 1 "
        "haben Sie Anspruch darauf.",
    ),
    "not_stated": (
        "Not stated by the controller for this category.",
        "Vom Verantwortlichen für diese Kategorie nicht angegeben.",
    ),
    "section_overrides": ("Used differently", "Abweichende Verwendung"),
    "rights": ("Your rights", "Ihre Rechte"),
    "rights_text": (
        "You may ask the controller to correct inaccurate data (Art. 16), to erase it "
        "(Art. 17), to restrict its processing (Art. 18), to receive it in a machine-readable "
        "form (Art. 20) and you may object to processing based on legitimate interests or a "
        "public task (Art. 21). Where processing rests on your consent you may withdraw it at "
        "any time (Art. 7(3)). No decision based solely on automated processing is made from "
        "this data by this export tool; ask the controller whether it makes any (Art. 22).",
        "Sie können vom Verantwortlichen die Berichtigung unrichtiger Daten (Art. 16), ihre "
        "Löschung (Art. 17), die Einschränkung der Verarbeitung (Art. 18) und die Herausgabe "
        "in maschinenlesbarer Form (Art. 20) verlangen und einer Verarbeitung auf Grundlage "
        "berechtigter Interessen oder einer öffentlichen Aufgabe widersprechen (Art. 21). "
        "Beruht die Verarbeitung auf Ihrer Einwilligung, können Sie sie jederzeit widerrufen "
        "(Art. 7 Abs. 3). Dieses Exportwerkzeug trifft aus diesen Daten keine ausschließlich "
        "automatisierte Entscheidung; fragen Sie den Verantwortlichen, ob er solche trifft "
        "(Art. 22).",
    ),
    "complaint": (
        "You have the right to lodge a complaint with a supervisory authority (Art. 77).",
        "Sie haben das Recht, sich bei einer Aufsichtsbehörde zu beschweren (Art. 77).",
    ),
    "complaint_named": (
        "You have the right to lodge a complaint with a supervisory authority (Art. 77), "
        "for example: {authority}.",
        "Sie haben das Recht, sich bei einer Aufsichtsbehörde zu beschweren (Art. 77), zum "
        "Beispiel: {authority}.",
    ),
    # the data
    "your_data": ("Your data", "Ihre Daten"),
    "contact_heading": ("Intercom contact {id}", "Intercom-Kontakt {id}"),
    "contact_empty": (
        "Intercom holds no contact with this id: no data.",
        "Intercom führt keinen Kontakt mit dieser ID: keine Daten.",
    ),
    "field": ("Information", "Angabe"),
    "value": ("Value", "Wert"),
    "reference": ("Reference", "Referenz"),
    "yes": ("yes", "ja"),
    "no": ("no", "nein"),
    "messages": ("Messages you wrote", "Ihre Nachrichten"),
    "conversation": ("Conversation {id}", "Unterhaltung {id}"),
    "opening_message": ("Opening message", "Erste Nachricht"),
    "reply": ("Reply", "Antwort"),
    "subject": ("Subject", "Betreff"),
    "image": ("image", "Bild"),
    # scope
    "scope": ("What this report does not cover", "Was dieser Bericht nicht umfasst"),
    "scope_intro": (
        "This report covers what the export tool reaches in Intercom. It knowingly leaves out "
        "the following, for the reasons given (the explanations come from the tool in English):",
        "Dieser Bericht umfasst, was das Exportwerkzeug in Intercom erreicht. Folgendes lässt "
        "es bewusst aus, aus den genannten Gründen (die Erläuterungen stammen vom Werkzeug, "
        "auf Englisch):",
    ),
    "scope_none": (
        "The export tool declares nothing it leaves out.",
        "Das Exportwerkzeug gibt nichts an, das es auslässt.",
    ),
    "left_out": ("Left out", "Ausgelassen"),
    "why": ("Why", "Grund"),
    "scope_notes": ("Notes on scope", "Hinweise zum Umfang"),
    # erasure receipt
    "receipt_title": ("Erasure receipt", "Löschbestätigung"),
    "receipt_lede": (
        "The record of one erasure request under Article 17 GDPR: what was requested, what "
        "Intercom was asked to do, what it answered, and what a read-back found afterwards. It "
        "holds no email address, no name and no message.",
        "Der Nachweis eines Löschantrags nach Artikel 17 DSGVO: was beantragt wurde, worum "
        "Intercom gebeten wurde, was es antwortete und was eine anschließende Prüfung ergab. "
        "Er enthält keine E-Mail-Adresse, keinen Namen und keine Nachricht.",
    ),
    "receipt_subject": ("Request reference", "Vorgangsreferenz"),
    "receipt_none": ("none given", "keine angegeben"),
    "requested_at": ("Requested", "Beantragt"),
    "completed_at": ("Completed", "Abgeschlossen"),
    "policy": ("Erasure policy", "Löschrichtlinie"),
    "policy_delete_contact": (
        "delete the contact (its conversations stay)",
        "Kontakt löschen (Unterhaltungen bleiben)",
    ),
    "policy_redact_messages": (
        "redact every message the contact wrote, then delete the contact",
        "alle Nachrichten des Kontakts schwärzen, dann den Kontakt löschen",
    ),
    "library": ("Library version", "Bibliotheksversion"),
    "surface_digest": ("Covered surface (SHA-256)", "Abgedeckter Umfang (SHA-256)"),
    "contacts": ("Contacts", "Kontakte"),
    "contact_id": ("Contact id", "Kontakt-ID"),
    "outcome": ("Outcome", "Ergebnis"),
    "outcome_erased": ("erased", "gelöscht"),
    "outcome_already_absent": ("already absent", "bereits nicht vorhanden"),
    "outcome_failed": ("FAILED", "FEHLGESCHLAGEN"),
    "redacted": ("Messages redacted", "Geschwärzte Nachrichten"),
    "already_redacted": ("Already redacted", "Bereits geschwärzt"),
    "conversations": ("Conversations", "Unterhaltungen"),
    "verification": ("Read back afterwards", "Anschließende Prüfung"),
    "verified_gone": ("contact gone", "Kontakt nicht mehr vorhanden"),
    "verified_held": ("CONTACT STILL HELD", "KONTAKT NOCH VORHANDEN"),
    "verified_unredacted": (
        "{count} message(s) still readable",
        "{count} Nachricht(en) noch lesbar",
    ),
    "not_verified": ("not read back", "nicht geprüft"),
    "not_recorded": ("not recorded", "nicht erfasst"),
    "detail": ("What the resolver reported", "Bericht des Resolvers"),
    "receipt_complete": (
        "Every contact is erased or was already absent, and every read-back confirms it.",
        "Jeder Kontakt ist gelöscht oder war bereits nicht vorhanden, und jede Prüfung "
        "bestätigt das.",
    ),
    "receipt_incomplete": (
        "This erasure is NOT complete: see the contacts marked above.",
        "Diese Löschung ist NICHT vollständig: siehe die markierten Kontakte oben.",
    ),
    "receipt_unverified": (
        "Every contact is erased or was already absent; not every contact was read back.",
        "Jeder Kontakt ist gelöscht oder war bereits nicht vorhanden; nicht jeder Kontakt "
        "wurde geprüft.",
    ),
    # categories
    "cat_contact": ("Contact details", "Kontaktdaten"),
    "cat_contact_about": ("email address, phone number", "E-Mail-Adresse, Telefonnummer"),
    "cat_identity": ("Identity", "Identität"),
    "cat_identity_about": (
        "name, account ids, company, profiles",
        "Name, Konto-IDs, Firma, Profile",
    ),
    "cat_financial": ("Financial", "Finanzdaten"),
    "cat_financial_about": ("payment and billing data", "Zahlungs- und Abrechnungsdaten"),
    "cat_behavioral": ("Activity", "Aktivität"),
    "cat_behavioral_about": (
        "when you used the service, conversations, tickets, events",
        "wann Sie den Dienst nutzten, Unterhaltungen, Tickets, Ereignisse",
    ),
    "cat_technical": ("Technical", "Technische Daten"),
    "cat_technical_about": ("browser, device, operating system", "Browser, Gerät, Betriebssystem"),
    "cat_location": ("Location", "Standort"),
    "cat_location_about": ("country, region, city", "Land, Region, Stadt"),
    "cat_communication": ("Communication", "Kommunikation"),
    "cat_communication_about": (
        "what you wrote, and notes about you",
        "was Sie schrieben, und Notizen über Sie",
    ),
    "cat_special": ("Special category", "Besondere Kategorie"),
    "cat_special_about": (
        "data under Art. 9 GDPR (health, beliefs, ...)",
        "Daten nach Art. 9 DSGVO (Gesundheit, Überzeugungen, ...)",
    ),
    # legal bases
    "basis_consent": ("your consent", "Ihre Einwilligung"),
    "basis_contract": (
        "a contract with you, or steps before one",
        "ein Vertrag mit Ihnen oder vorvertragliche Maßnahmen",
    ),
    "basis_legal_obligation": ("a legal obligation", "eine rechtliche Verpflichtung"),
    "basis_vital_interests": ("vital interests", "lebenswichtige Interessen"),
    "basis_public_task": (
        "a task in the public interest",
        "eine Aufgabe im öffentlichen Interesse",
    ),
    "basis_legitimate_interests": ("legitimate interests", "berechtigte Interessen"),
    # sections
    "sec_profile": ("Profile", "Profil"),
    "sec_tags": ("Tags", "Schlagwörter"),
    "sec_companies": ("Companies", "Firmen"),
    "sec_notes": ("Notes about you", "Notizen über Sie"),
    "sec_segments": ("Segments", "Segmente"),
    "sec_subscriptions": ("Subscription preferences", "Abonnement-Einstellungen"),
    "sec_conversations": ("Conversations", "Unterhaltungen"),
    "sec_messages": ("Messages you wrote", "Ihre Nachrichten"),
    "sec_tickets": ("Tickets", "Tickets"),
    "sec_events": ("Events", "Ereignisse"),
    "sec_event_summaries": (
        "Event summaries (also events older than 90 days)",
        "Ereignis-Übersicht (auch Ereignisse älter als 90 Tage)",
    ),
    "sec_other": ("Other", "Sonstiges"),
    # field name prefixes
    "social_profile": ("Social profile {n}: {what}", "Soziales Profil {n}: {what}"),
    "custom_attribute": ("Custom attribute “{name}”", "Benutzerdefiniertes Attribut „{name}“"),
    "event_detail": ("Detail “{name}”", "Detail „{name}“"),
}

FIELDS: Final[dict[str, tuple[str, str]]] = {
    "email": ("Email address", "E-Mail-Adresse"),
    "name": ("Name", "Name"),
    "phone": ("Phone number", "Telefonnummer"),
    "external_id": ("Customer id", "Kundennummer"),
    "role": ("Kind of contact", "Art des Kontakts"),
    "avatar.image_url": ("Profile picture (address)", "Profilbild (Adresse)"),
    "language_override": ("Preferred language", "Bevorzugte Sprache"),
    "location.country": ("Country", "Land"),
    "location.region": ("Region", "Region"),
    "location.city": ("City", "Stadt"),
    "referrer": ("Page you came from", "Herkunftsseite"),
    "browser": ("Browser", "Browser"),
    "browser_version": ("Browser version", "Browserversion"),
    "browser_language": ("Browser language", "Browsersprache"),
    "os": ("Operating system", "Betriebssystem"),
    "android_app_name": ("Android app", "Android-App"),
    "android_app_version": ("Android app version", "Android-App-Version"),
    "android_device": ("Android device", "Android-Gerät"),
    "android_os_version": ("Android version", "Android-Version"),
    "android_sdk_version": ("Android SDK version", "Android-SDK-Version"),
    "android_last_seen_at": ("Last seen in the Android app", "Zuletzt in der Android-App"),
    "ios_app_name": ("iOS app", "iOS-App"),
    "ios_app_version": ("iOS app version", "iOS-App-Version"),
    "ios_device": ("iOS device", "iOS-Gerät"),
    "ios_os_version": ("iOS version", "iOS-Version"),
    "ios_sdk_version": ("iOS SDK version", "iOS-SDK-Version"),
    "ios_last_seen_at": ("Last seen in the iOS app", "Zuletzt in der iOS-App"),
    "created_at": ("Created", "Erstellt"),
    "updated_at": ("Last updated", "Zuletzt geändert"),
    "signed_up_at": ("Signed up", "Registriert"),
    "last_seen_at": ("Last seen", "Zuletzt gesehen"),
    "last_replied_at": ("Last replied", "Zuletzt geantwortet"),
    "last_contacted_at": ("Last contacted by us", "Zuletzt von uns kontaktiert"),
    "last_email_opened_at": ("Last opened one of our emails", "Zuletzt eine E-Mail geöffnet"),
    "last_email_clicked_at": (
        "Last clicked a link in our emails",
        "Zuletzt einen Link in einer E-Mail geklickt",
    ),
    "utm_campaign": ("Campaign you came from", "Herkunftskampagne"),
    "utm_content": ("Campaign content", "Kampagneninhalt"),
    "utm_medium": ("Campaign medium", "Kampagnenmedium"),
    "utm_source": ("Campaign source", "Kampagnenquelle"),
    "utm_term": ("Campaign term", "Kampagnensuchbegriff"),
    "unsubscribed_from_emails": ("Unsubscribed from emails", "Vom E-Mail-Empfang abgemeldet"),
    "has_hard_bounced": ("Emails to you bounced", "E-Mails an Sie kamen zurück"),
    "marked_email_as_spam": ("Marked our email as spam", "Unsere E-Mail als Spam markiert"),
    "url": ("Address", "Adresse"),
    "body": ("Text", "Text"),
    "state": ("State", "Status"),
    "subject": ("Subject", "Betreff"),
    "category": ("Category", "Kategorie"),
    "open": ("Open", "Offen"),
    "ticket_state.category": ("Ticket state", "Ticketstatus"),
    "ticket_type.name": ("Ticket type", "Tickettyp"),
    "event_name": ("Event", "Ereignis"),
}


class Words:
    """The catalogue in one language."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown report language {language!r}; use one of en, de")
        self.language: Language = language
        self._column = LANGUAGES.index(self.language)

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key``, with ``values`` filled in."""
        text = MESSAGES[key][self._column]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether the catalogue holds the message ``key``."""
        return key in MESSAGES

    def field(self, key: str) -> str:
        """A record field key (``last_seen_at``, ``location.city``) in words."""
        known = FIELDS.get(key)
        if known is not None:
            return known[self._column]
        words = key.replace("_", " ").replace(".", " ").strip()
        return words[:1].upper() + words[1:]
