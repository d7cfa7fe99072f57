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
        "This report answers a request for access to your data (Art. 15 of the General Data "
        "Protection Regulation, GDPR). It lists every piece of personal data about you that "
        "was found in Intercom, the customer messaging service used by the controller named "
        "below, and what the law says you are entitled to know about its use.",
        "Dieser Bericht beantwortet einen Antrag auf Auskunft über Ihre Daten (Art. 15 der "
        "Datenschutz-Grundverordnung, DSGVO). Er führt alle personenbezogenen Daten über Sie "
        "auf, die in Intercom gefunden wurden, dem Kundenkommunikationsdienst des unten "
        "genannten Verantwortlichen, und was Sie nach dem Gesetz über ihre Verwendung "
        "erfahren müssen.",
    ),
    "for": ("Prepared for", "Erstellt für"),
    "produced": ("Produced", "Erstellt am"),
    "contact_ids": ("References in Intercom", "Referenzen in Intercom"),
    "looked_for": ("Looked for by", "Gesucht nach"),
    "looked_for_contact_id": (
        "reference in Intercom (no search)",
        "Referenz in Intercom (ohne Suche)",
    ),
    "looked_for_email": ("email address", "E-Mail-Adresse"),
    "looked_for_phone": ("phone number", "Telefonnummer"),
    "looked_for_external_id": ("customer id", "Kundennummer"),
    "search_limits": (
        "Intercom's search does not find archived contacts, nor contacts created in the last "
        "few minutes; such contacts are reached only by their reference in Intercom.",
        "Die Suche von Intercom findet weder archivierte Kontakte noch Kontakte, die erst vor "
        "wenigen Minuten angelegt wurden; solche Kontakte sind nur über ihre Referenz in "
        "Intercom erreichbar.",
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
        "How your data is used (Art. 15(1) and (2) GDPR)",
        "Wie Ihre Daten verwendet werden (Art. 15 Abs. 1 und 2 DSGVO)",
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
        "This report was produced without the controller's record of processing, so the "
        "purposes, legal bases, retention periods, recipients and sources of your data, any "
        "automated decisions and any transfers outside the EU are not stated here. You are "
        "entitled to this information (Art. 15(1) and (2) GDPR); it belongs with this answer, "
        "so reply to its sender to receive it.",
        "Dieser Bericht wurde ohne das Verzeichnis der Verarbeitungstätigkeiten des "
        "Verantwortlichen erstellt: Zwecke, Rechtsgrundlagen, Speicherdauer, Empfänger und "
        "Herkunft Ihrer Daten, automatisierte Entscheidungen und Übermittlungen in Länder "
        "außerhalb der EU sind hier nicht angegeben. Sie haben Anspruch auf diese Angaben "
        "(Art. 15 Abs. 1 und 2 DSGVO); sie gehören zu dieser Auskunft, antworten Sie daher "
        "ihrem Absender, um sie zu erhalten.",
    ),
    "not_stated": (
        "Not stated by the controller for this category.",
        "Vom Verantwortlichen für diese Kategorie nicht angegeben.",
    ),
    "section_overrides": ("Used differently", "Abweichende Verwendung"),
    "rights": ("Your rights", "Ihre Rechte"),
    "rights_text": (
        "You have the right to have inaccurate data corrected (Art. 16 GDPR), to have it "
        "erased (Art. 17 GDPR), to have its processing restricted (Art. 18 GDPR) and to "
        "receive it in a machine-readable form (Art. 20 GDPR), and you may object to "
        "processing based on legitimate interests or a public task (Art. 21 GDPR). Where "
        "processing rests on your consent, you may withdraw it at any time (Art. 7(3) GDPR). "
        "To exercise these rights, write to the controller or the data protection officer "
        "named above.",
        "Sie haben das Recht auf Berichtigung unrichtiger Daten (Art. 16 DSGVO), auf ihre "
        "Löschung (Art. 17 DSGVO), auf Einschränkung der Verarbeitung (Art. 18 DSGVO) und auf "
        "ihre Herausgabe in maschinenlesbarer Form (Art. 20 DSGVO), und Sie können einer "
        "Verarbeitung auf Grundlage berechtigter Interessen oder einer öffentlichen Aufgabe "
        "widersprechen (Art. 21 DSGVO). Beruht die Verarbeitung auf Ihrer Einwilligung, können "
        "Sie diese jederzeit widerrufen (Art. 7 Abs. 3 DSGVO). Um diese Rechte auszuüben, "
        "schreiben Sie dem oben genannten Verantwortlichen oder der oder dem "
        "Datenschutzbeauftragten.",
    ),
    "complaint": (
        "You have the right to lodge a complaint with a supervisory authority (Art. 77 GDPR).",
        "Sie haben das Recht, sich bei einer Aufsichtsbehörde zu beschweren (Art. 77 DSGVO).",
    ),
    "complaint_named": (
        "You have the right to lodge a complaint with a supervisory authority "
        "(Art. 77 GDPR), for example: {authority}.",
        "Sie haben das Recht, sich bei einer Aufsichtsbehörde zu beschweren (Art. 77 DSGVO), "
        "zum Beispiel: {authority}.",
    ),
    "adm": (
        "Automated decisions (Art. 15(1)(h) GDPR)",
        "Automatisierte Entscheidungen (Art. 15 Abs. 1 lit. h DSGVO)",
    ),
    "adm_not_stated": (
        "The controller has not stated whether decisions about you are made solely by "
        "automated means.",
        "Der Verantwortliche hat nicht angegeben, ob Entscheidungen über Sie ausschließlich "
        "automatisiert getroffen werden.",
    ),
    "adm_none": (
        "No decision about you is made solely by automated means, profiling included "
        "(Art. 22 GDPR).",
        "Über Sie wird keine Entscheidung ausschließlich automatisiert getroffen, auch nicht "
        "durch Profiling (Art. 22 DSGVO).",
    ),
    "adm_used": (
        "Some decisions about you are made solely by automated means (Art. 22 GDPR):",
        "Manche Entscheidungen über Sie werden ausschließlich automatisiert getroffen "
        "(Art. 22 DSGVO):",
    ),
    "adm_logic": ("How they are made", "Wie sie getroffen werden"),
    "adm_significance": ("What they mean for you", "Was sie für Sie bedeuten"),
    "transfers": (
        "Transfers outside the EU and the EEA (Art. 15(2) GDPR)",
        "Übermittlungen außerhalb von EU und EWR (Art. 15 Abs. 2 DSGVO)",
    ),
    "transfers_not_stated": (
        "The controller has not stated whether your data is transferred to a country outside "
        "the EU and the EEA.",
        "Der Verantwortliche hat nicht angegeben, ob Ihre Daten in ein Land außerhalb von EU "
        "und EWR übermittelt werden.",
    ),
    "transfers_none": (
        "Your data is not transferred to a country outside the EU and the EEA, nor to an "
        "international organisation.",
        "Ihre Daten werden weder in ein Land außerhalb von EU und EWR noch an eine "
        "internationale Organisation übermittelt.",
    ),
    "transfer_recipient": ("Recipient", "Empfänger"),
    "transfer_country": ("Country", "Land"),
    "transfer_safeguard": ("Safeguard", "Garantie"),
    "safeguard_adequacy_decision": (
        "an adequacy decision of the European Commission",
        "ein Angemessenheitsbeschluss der Europäischen Kommission",
    ),
    "safeguard_standard_contractual_clauses": (
        "standard data protection clauses adopted by the European Commission",
        "von der Europäischen Kommission erlassene Standarddatenschutzklauseln",
    ),
    "safeguard_binding_corporate_rules": (
        "binding corporate rules",
        "verbindliche interne Datenschutzvorschriften",
    ),
    "safeguard_code_of_conduct": (
        "an approved code of conduct",
        "genehmigte Verhaltensregeln",
    ),
    "safeguard_certification": (
        "an approved certification mechanism",
        "ein genehmigter Zertifizierungsmechanismus",
    ),
    "safeguard_derogation": (
        "an exception for a specific situation",
        "eine Ausnahme für einen bestimmten Fall",
    ),
    # the data
    "your_data": ("Your data", "Ihre Daten"),
    "contact_heading": ("Record {n} in Intercom", "Datensatz {n} in Intercom"),
    "contact_heading_named": (
        "Record {n} in Intercom: {name}",
        "Datensatz {n} in Intercom: {name}",
    ),
    "contact_reference": ("Reference in Intercom", "Referenz in Intercom"),
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
    "conversation": ("Conversation (reference {id})", "Unterhaltung (Referenz {id})"),
    "conversation_of": (
        "Conversation of {date} (reference {id})",
        "Unterhaltung vom {date} (Referenz {id})",
    ),
    "attachments": ("Files you attached", "Von Ihnen angehängte Dateien"),
    "bytes": ("{n} bytes", "{n} Byte"),
    "kilobytes": ("{n} kB", "{n} kB"),
    "megabytes": ("{n} MB", "{n} MB"),
    "shown_in_part": (
        "[shown in part: the first {shown} of {total} characters; the full value is in the "
        "JSON export]",
        "[gekürzt: die ersten {shown} von {total} Zeichen; der vollständige Wert steht im "
        "JSON-Export]",
    ),
    "text_in_part": (
        "[shown in part; the full text is in the JSON export]",
        "[gekürzt; der vollständige Text steht im JSON-Export]",
    ),
    "rating_of": ("{n} out of 5", "{n} von 5"),
    "quoted": ("“{text}”", "„{text}“"),
    "ticket_untitled": ("Ticket without a title", "Ticket ohne Titel"),
    "conversation_untitled": ("Conversation of {date}", "Unterhaltung vom {date}"),
    "conversation_undated": ("Conversation", "Unterhaltung"),
    "call_of": ("Call of {date}", "Anruf vom {date}"),
    "call_undated": ("Call", "Anruf"),
    "your_ticket_messages": ("What you wrote on this ticket", "Was Sie zu diesem Ticket schrieben"),
    "transcript": ("What you said (transcript)", "Was Sie sagten (Abschrift)"),
    "transcript_unattributed": (
        "Parts of the transcript attributed to no one (they may be yours)",
        "Teile der Abschrift ohne Zuordnung (sie können von Ihnen sein)",
    ),
    "email_addresses": ("Email addresses on this message", "E-Mail-Adressen dieser Nachricht"),
    "header_from": ("from", "von"),
    "header_to": ("to", "an"),
    "header_cc": ("copy", "Kopie"),
    "header_bcc": ("blind copy", "Blindkopie"),
    "header_reply_to": ("reply to", "Antwort an"),
    "fact_tags": ("Tags", "Schlagwörter"),
    "fact_page": ("Page you wrote from", "Seite, von der Sie schrieben"),
    "direction_inbound": ("you called", "Sie haben angerufen"),
    "direction_outbound": ("you were called", "Sie wurden angerufen"),
    "call_state_completed": ("completed", "beendet"),
    "call_state_missed": ("missed", "verpasst"),
    "call_state_in_progress": ("in progress", "läuft"),
    "call_state_ringing": ("ringing", "klingelt"),
    "call_state_declined": ("declined", "abgelehnt"),
    "col_tag": ("Tag", "Schlagwort"),
    "col_company": ("Company", "Firma"),
    "col_written": ("Written", "Geschrieben"),
    "col_note": ("Note", "Notiz"),
    "col_segment": ("Segment", "Segment"),
    "col_subscription": ("Subscription", "Abonnement"),
    "col_choice": ("Your choice", "Ihre Entscheidung"),
    "col_started": ("Started", "Begonnen"),
    "col_last_activity": ("Last activity", "Letzte Aktivität"),
    "col_state": ("State", "Status"),
    "col_rating": ("Your rating", "Ihre Bewertung"),
    "col_event": ("Event", "Ereignis"),
    "col_when": ("When", "Wann"),
    "col_details": ("Details", "Details"),
    "col_count": ("How often", "Wie oft"),
    "col_first": ("First", "Erstmals"),
    "col_last": ("Last", "Zuletzt"),
    # values in words
    "consent_opt_in": ("agreed", "zugestimmt"),
    "consent_opt_out": ("declined", "abgelehnt"),
    "state_open": ("open", "offen"),
    "state_closed": ("closed", "geschlossen"),
    "state_snoozed": ("on hold", "zurückgestellt"),
    "ticket_state_submitted": ("submitted", "eingereicht"),
    "ticket_state_in_progress": ("in progress", "in Bearbeitung"),
    "ticket_state_waiting_on_customer": ("waiting for your reply", "wartet auf Ihre Antwort"),
    "ticket_state_resolved": ("resolved", "gelöst"),
    "ticket_category_customer": ("customer request", "Kundenanfrage"),
    "ticket_category_back_office": ("internal follow-up", "interne Bearbeitung"),
    "ticket_category_tracker": ("tracked issue", "verfolgtes Problem"),
    "role_user": ("customer account", "Kundenkonto"),
    "role_lead": ("enquiry without an account", "Anfrage ohne Kundenkonto"),
    "opening_message": ("Opening message", "Erste Nachricht"),
    "reply": ("Reply", "Antwort"),
    "subject": ("Subject", "Betreff"),
    "image": ("image", "Bild"),
    "held_not_exported": (
        "Intercom also holds these fields the controller defined for itself about you; they "
        "were not included in this report, since the controller has not declared them as "
        "personal data:",
        "Intercom speichert außerdem diese vom Verantwortlichen selbst angelegten Felder über "
        "Sie; sie sind nicht in diesem Bericht enthalten, da der Verantwortliche sie nicht als "
        "personenbezogene Daten angegeben hat:",
    ),
    # scope
    "scope": ("What this report does not cover", "Was dieser Bericht nicht umfasst"),
    "scope_intro": (
        "This report shows what the controller's export tool can read about you in Intercom. "
        "The following is not part of it:",
        "Dieser Bericht zeigt, was das Exportwerkzeug des Verantwortlichen in Intercom über "
        "Sie lesen kann. Nicht darin enthalten ist:",
    ),
    "scope_visitors": (
        "Visits to the controller's website or app made before you gave your email address "
        "or signed in: Intercom keeps them apart from your contact record, so they cannot be "
        "linked to you.",
        "Besuche der Website oder App des Verantwortlichen, bevor Sie Ihre E-Mail-Adresse "
        "angegeben oder sich angemeldet haben: Intercom hält sie von Ihrem Kontakt getrennt, "
        "daher lassen sie sich Ihnen nicht zuordnen.",
    ),
    "scope_reporting": (
        "Intercom's statistics and reports: they hold conversations in aggregate and cannot "
        "be read per person.",
        "Statistiken und Auswertungen von Intercom: Sie enthalten Unterhaltungen "
        "zusammengefasst und lassen sich nicht je Person abrufen.",
    ),
    "scope_outbound": (
        "Messages the controller sent you that you never answered: no conversation exists "
        "for them, and Intercom cannot list them per person.",
        "Nachrichten des Verantwortlichen an Sie, die Sie nie beantwortet haben: Für sie "
        "gibt es keine Unterhaltung, und Intercom kann sie nicht je Person auflisten.",
    ),
    "scope_staff_log": (
        "Records of what the controller's staff did in Intercom: they cannot be read per person.",
        "Aufzeichnungen darüber, was die Mitarbeitenden des Verantwortlichen in Intercom "
        "taten: Sie lassen sich nicht je Person abrufen.",
    ),
    "scope_assistant_input": (
        "What was given to Intercom's automated assistant about you: it cannot be read back.",
        "Was dem automatischen Assistenten von Intercom über Sie übergeben wurde: Es lässt "
        "sich nicht wieder abrufen.",
    ),
    "scope_custom_objects": (
        "Records of the controller's own kinds that Intercom keeps apart from contacts: they "
        "are not listed per person.",
        "Datensätze eigener Art des Verantwortlichen, die Intercom getrennt von Kontakten "
        "führt: Sie werden nicht je Person aufgeführt.",
    ),
    "scope_archived": (
        "Contact records the controller has archived in Intercom: a search by your email "
        "address cannot find them, and their data is included only where the controller "
        "looked them up by their reference and chose to include archived records.",
        "Kontakte, die der Verantwortliche in Intercom archiviert hat: Eine Suche nach Ihrer "
        "E-Mail-Adresse findet sie nicht, und ihre Daten sind nur enthalten, wenn der "
        "Verantwortliche sie über ihre Referenz abgerufen und archivierte Kontakte "
        "einbezogen hat.",
    ),
    "scope_events_counted": (
        "Events older than 90 days one by one: Intercom lists events of the last 90 days "
        "only. Older ones are counted in the event summary, with the first and last time.",
        "Ereignisse, die älter als 90 Tage sind, im Einzelnen: Intercom führt nur die "
        "Ereignisse der letzten 90 Tage auf. Ältere sind in der Ereignis-Übersicht gezählt, "
        "mit dem ersten und letzten Zeitpunkt.",
    ),
    "scope_events_older": (
        "Events older than 90 days: Intercom lists events of the last 90 days only.",
        "Ereignisse, die älter als 90 Tage sind: Intercom führt nur die Ereignisse der "
        "letzten 90 Tage auf.",
    ),
    "scope_messages_own": (
        "Messages by the controller's staff, its automated assistant or other customers: "
        "only the messages you wrote are shown.",
        "Nachrichten der Mitarbeitenden des Verantwortlichen, seines automatischen "
        "Assistenten oder anderer Kundinnen und Kunden: Gezeigt werden nur Ihre eigenen "
        "Nachrichten.",
    ),
    "scope_messages_files": (
        "The files you attached to messages themselves: the report names each file with its "
        "type, size and address.",
        "Die Dateien selbst, die Sie Nachrichten angehängt haben: Der Bericht nennt jede "
        "Datei mit Art, Größe und Adresse.",
    ),
    "scope_messages_cap": (
        "In a conversation with more than 500 messages, the older ones: Intercom gives out "
        "only the 500 most recent.",
        "In einer Unterhaltung mit mehr als 500 Nachrichten die älteren: Intercom gibt nur "
        "die 500 neuesten heraus.",
    ),
    "scope_messages_none": (
        "The text of your messages: this export lists your conversations, but not what "
        "was written in them.",
        "Der Text Ihrer Nachrichten: Dieser Export führt Ihre Unterhaltungen auf, aber nicht, "
        "was darin geschrieben wurde.",
    ),
    "scope_custom_none": (
        "Fields the controller has defined for itself in Intercom: none is included, because "
        "the controller has not stated which of them hold personal data.",
        "Felder, die der Verantwortliche in Intercom selbst angelegt hat: Keines ist "
        "enthalten, da der Verantwortliche nicht angegeben hat, welche davon "
        "personenbezogene Daten enthalten.",
    ),
    "scope_custom_declared": (
        "Fields the controller has defined for itself in Intercom, except those it has "
        "stated to hold personal data, which are shown.",
        "Felder, die der Verantwortliche in Intercom selbst angelegt hat, außer denen, die "
        "nach seiner Angabe personenbezogene Daten enthalten; diese sind aufgeführt.",
    ),
    "scope_parts_off": (
        "These parts of your data in Intercom, which this export did not include: {parts}.",
        "Diese Teile Ihrer Daten in Intercom, die dieser Export nicht umfasste: {parts}.",
    ),
    "scope_part_left_out": (
        "Some data of the part “{part}”, which the export tool leaves out.",
        "Einige Daten des Teils „{part}“, die das Exportwerkzeug auslässt.",
    ),
    "scope_declaration": (
        "This list says what the export tool reaches; it is not a legal assessment of "
        "completeness.",
        "Diese Aufzählung gibt an, was das Exportwerkzeug erreicht; sie ist keine rechtliche "
        "Bewertung der Vollständigkeit.",
    ),
    # erasure receipt
    "receipt_title": ("Erasure receipt", "Löschbestätigung"),
    "receipt_lede": (
        "The record of one erasure request under Art. 17 GDPR: what was requested, what "
        "Intercom was asked to do, what it answered, and what a read-back found afterwards. It "
        "holds no email address, no name and no message.",
        "Der Nachweis eines Löschantrags nach Art. 17 DSGVO: was beantragt wurde, worum "
        "Intercom gebeten wurde, was es antwortete und was eine anschließende Prüfung ergab. "
        "Er enthält keine E-Mail-Adresse, keinen Namen und keine Nachricht.",
    ),
    "receipt_subject": ("Request reference", "Vorgangsreferenz"),
    "receipt_none": ("none given", "keine angegeben"),
    "requested_at": ("Requested", "Beantragt"),
    "completed_at": ("Completed", "Abgeschlossen"),
    "policy": ("Erasure policy", "Löschrichtlinie"),
    "policy_delete_contact": (
        "delete the contact, without redacting its messages first",
        "Kontakt löschen, ohne seine Nachrichten vorher zu schwärzen",
    ),
    "policy_redact_messages": (
        "redact every message the contact wrote, then delete the contact",
        "alle Nachrichten des Kontakts schwärzen, dann den Kontakt löschen",
    ),
    "policy_delete_conversations": (
        "delete every conversation and ticket only the contact was in, redact its messages in "
        "shared conversations, then delete the contact",
        "alle Unterhaltungen und Tickets löschen, an denen nur der Kontakt beteiligt war, "
        "seine Nachrichten in geteilten Unterhaltungen schwärzen, dann den Kontakt löschen",
    ),
    "library": ("Library version", "Bibliotheksversion"),
    "surface_digest": (
        "Fingerprint of what the tool covers (SHA-256)",
        "Fingerabdruck des abgedeckten Umfangs (SHA-256)",
    ),
    "contacts": ("Contacts", "Kontakte"),
    "contact_id": ("Contact id", "Kontakt-ID"),
    "outcome": ("Outcome", "Ergebnis"),
    "outcome_erased": ("erased", "gelöscht"),
    "outcome_already_absent": ("already absent", "bereits nicht vorhanden"),
    "outcome_no_contact": (
        "no contact with this id (deleted, merged into another contact, or never existed)",
        "kein Kontakt mit dieser ID (gelöscht, mit einem anderen Kontakt zusammengeführt oder "
        "nie vorhanden)",
    ),
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
    "verified_items": (
        "{kind}: {gone} gone, {kept} kept as the policy says",
        "{kind}: {gone} gelöscht, {kept} wie vorgesehen behalten",
    ),
    "verified_remaining": (", {remaining} STILL READABLE", ", {remaining} NOCH LESBAR"),
    "kind_conversation": ("conversations", "Unterhaltungen"),
    "kind_ticket": ("tickets", "Tickets"),
    "not_verified": ("not read back", "nicht geprüft"),
    "not_recorded": ("not recorded", "nicht erfasst"),
    "detail_in_json": (
        "The erasure tool's own account of each contact, in English, is in the JSON version "
        "of this receipt.",
        "Die Angaben des Löschwerkzeugs zu jedem Kontakt stehen im englischen Wortlaut in der "
        "JSON-Fassung dieser Bestätigung.",
    ),
    "intercom_on_deletion": (
        "Intercom documents that deleting a contact also removes its conversations, that "
        "satisfaction ratings and their comments stay, and that deleted data can be recovered "
        "for 7 days.",
        "Intercom gibt an, dass mit einem Kontakt auch seine Unterhaltungen gelöscht werden, "
        "dass Zufriedenheitsbewertungen und ihre Kommentare bestehen bleiben und dass "
        "gelöschte Daten 7 Tage lang wiederherstellbar sind.",
    ),
    "receipt_footer": (
        "Erasure receipt, format version 1 · service: {resolver}",
        "Löschbestätigung, Format Version 1 · Dienst: {resolver}",
    ),
    "receipt_complete": (
        "Every contact is erased or was already absent, and every read-back confirms it.",
        "Jeder Kontakt ist gelöscht oder war bereits nicht vorhanden, und jede Prüfung "
        "bestätigt das.",
    ),
    "receipt_complete_search_limited": (
        "Every contact found is erased or was already absent, and every read-back confirms "
        "it. The person was found by search, which does not see archived contacts nor "
        "contacts created in the last few minutes: complete as far as search can see. Erase "
        "such a contact by its reference in Intercom.",
        "Jeder gefundene Kontakt ist gelöscht oder war bereits nicht vorhanden, und jede "
        "Prüfung bestätigt das. Die Person wurde über die Suche gefunden, die weder "
        "archivierte Kontakte noch erst vor wenigen Minuten angelegte Kontakte sieht: "
        "vollständig, soweit die Suche reicht. Solche Kontakte werden über ihre Referenz in "
        "Intercom gelöscht.",
    ),
    "receipt_incomplete": (
        "This erasure is NOT complete: see the contacts marked above.",
        "Diese Löschung ist NICHT vollständig: siehe die markierten Kontakte oben.",
    ),
    "receipt_no_contact": (
        "Intercom knows no contact with any id named here: they were deleted earlier, merged "
        "into another contact, or never existed. This receipt attests no erasure; if a contact "
        "was merged, its data lives on in the contact it was merged into.",
        "Intercom kennt keinen Kontakt mit einer der hier genannten IDs: gelöscht, mit einem "
        "anderen Kontakt zusammengeführt oder nie vorhanden. Diese Bestätigung belegt keine "
        "Löschung; wurde ein Kontakt zusammengeführt, bestehen seine Daten im Zielkontakt fort.",
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
    "sec_calls": ("Calls", "Anrufe"),
    "sec_events": ("Events", "Ereignisse"),
    "sec_event_summaries": (
        "Event summaries (also events older than 90 days)",
        "Ereignis-Übersicht (auch Ereignisse älter als 90 Tage)",
    ),
    "sec_other": ("Other", "Sonstiges"),
    # field name prefixes
    "social_profile": ("Social profile {n}: {what}", "Soziales Profil {n}: {what}"),
    "custom_attribute": ("Custom field “{name}”", "Eigenes Feld „{name}“"),
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
    "title": ("Title", "Titel"),
    "direction": ("Direction", "Richtung"),
    "initiated_at": ("Started", "Begonnen"),
    "answered_at": ("Answered", "Angenommen"),
    "ended_at": ("Ended", "Beendet"),
    "has_recording": ("Recorded", "Aufgezeichnet"),
    "has_transcript": ("Transcribed", "Abgeschrieben"),
    "ticket_attributes._default_title_": ("Title", "Titel"),
    "ticket_attributes._default_description_": ("Description", "Beschreibung"),
    "content_type": ("Type", "Art"),
    "filesize": ("Size", "Größe"),
    "default_translation.name": ("Name", "Name"),
    "consent_type": ("Your choice", "Ihre Entscheidung"),
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

    def cite(self, article: int, paragraph: int | None = None, point: str | None = None) -> str:
        """A citation of the GDPR in this language's one style: ``Art. 6(1)(f) GDPR``,
        ``Art. 6 Abs. 1 lit. f DSGVO``."""
        if self.language == "de":
            parts = [f"Art. {article}"]
            parts += [f"Abs. {paragraph}"] if paragraph is not None else []
            parts += [f"lit. {point}"] if point is not None else []
            return " ".join(parts) + " DSGVO"
        paragraph_text = f"({paragraph})" if paragraph is not None else ""
        point_text = f"({point})" if point is not None else ""
        return f"Art. {article}{paragraph_text}{point_text} GDPR"

    def field(self, key: str) -> str:
        """A record field key (``last_seen_at``, ``location.city``) in words."""
        known = FIELDS.get(key)
        if known is not None:
            return known[self._column]
        words = key.replace("_", " ").replace(".", " ").strip()
        return words[:1].upper() + words[1:]
