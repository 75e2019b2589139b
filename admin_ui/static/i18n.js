// Dutch and English texts; the language is the saved choice, else the browser's.

const TEXTS = {
  en: {
    title: "OpenCC admin", language: "Language", signOut: "Sign out", signInTitle: "Sign in",
    username: "Username", password: "Password", signIn: "Sign in", tenant: "Tenant",
    navUsers: "Users", navImport: "CSV import", navNumbers: "Numbers",
    navCallCenters: "Call centers", navSchedules: "Schedules", navGroups: "Hunt groups and menus",
    huntGroup: "Hunt group", autoAttendant: "Auto attendant (menu)", kind: "Kind",
    newGroup: "New hunt group or menu", settings: "Settings (JSON)", notJson: "Not JSON",
    navAnnouncements: "Announcements", navAudit: "Audit log", navTenants: "Tenants",
    navHoteling: "Hoteling", maxMinutes: "Longest session (minutes)", makeHost: "Make host",
    guest: "Guest", signedInAt: "Signed in", until: "Until", lockedUntil: "Locked until",
    free: "free", signGuestOut: "Sign out",
    hotelingHelp: "Shared phones (hosts) and who is signed in on each. A guest signs in on the phone with *45 and their extension, then their PIN and #; *46 signs out. A session ends after the longest time or at the end of the day.",
    navUsage: "Usage", month: "Month", category: "Category", voiceCalls: "Calls",
    voiceMinutes: "Duration (min:s)", sms: "SMS", dataMb: "Data (MB)", exportCsv: "Export CSV",
    exportXlsx: "Export Excel", usageEmpty: "No billed usage in this month.",
    usageHelp: "Calls to outside numbers this month, by category and by the caller's profile.",
    category_national: "National", category_mobile: "Mobile", category_international: "International",
    category_premium_rate: "Premium rate", category_service: "Service numbers",
    category_emergency: "Emergency", category_internal: "Internal",
    error: "Refused ({status}) - {field}: {reason}", saved: "Saved.", deleted: "Deleted.",
    notAllowed: "This portal is for tenant admins and the operator.",
    name: "Name", extension: "Extension", profile: "Profile", roles: "Roles",
    licences: "Licences", webPassword: "Web password", sipPassword: "SIP password",
    callCenterTier: "Call-center tier", supervisorLicence: "Supervisor licence",
    receptionist: "Receptionist tier", recording: "Recording", none: "none",
    add: "Add", save: "Save", cancel: "Cancel", edit: "Edit", delete: "Delete",
    resetPasswords: "Reset passwords", addUser: "Add a user", editUser: "Edit {name}",
    previous: "Previous", next: "Next", pageOf: "{from}-{to} of {total}",
    webSignIn: "Web sign-in", yes: "yes", no: "no",
    confirmDelete: "Delete {name}?",
    confirmBuyout: "This costs a buyout of EUR {amount}. Confirm?",
    csvHelp: "Columns: username, name, extension, sip_password, profile; optionally password, roles (agent;supervisor), call_center, supervisor, receptionist, recording, language.",
    csvFile: "CSV file", dryRun: "Check (dry run)", importNow: "Import",
    csvOk: "{rows} rows, no errors.", csvImported: "{imported} users imported.",
    csvBad: "{count} bad rows: nothing imported.", line: "Line", field: "Field", reason: "Reason",
    blocks: "Number blocks", first: "First number", last: "Last number", size: "Size",
    addBlock: "Add block", directNumbers: "Direct numbers", number: "Number",
    destination: "Destination", assign: "Assign",
    callCenters: "Call centers", tier: "Tier", newCallCenter: "New call center",
    members: "Members", otherAgents: "Other agents", moveIn: "Move in", moveOut: "Move out",
    dragHelp: "Drag an agent between the lists, or use its button.",
    media: "Prompts", entrance: "Entrance message", comfort: "Comfort message",
    musicOnHold: "Music on hold", standard: "(standard)", open: "Open",
    weekly: "Weekly schedules", holidayCalendars: "Holiday calendars", weekday: "Weekday",
    start: "From", end: "Until", addInterval: "Add interval", remove: "Remove",
    country: "Country", extraDates: "Own days (YYYY-MM-DD, comma separated)",
    timezone: "Time zone", showDays: "Show days", year: "Year",
    days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    upload: "Upload", audioFile: "WAV or MP3 file", listen: "Listen", seconds: "Seconds",
    usedBy: "Used by", reference: "Setting value", uploadedBy: "By", uploadedAt: "When",
    phoneNumber: "No.",
    recordByPhoneHelp: "Record one by phone: from your own phone (a tenant admin's extension) dial *62, key your voicemail PIN and #, then 6. The announcements are read out with their number (No. below): key it and #, speak after the tone and end with #. You hear it back: 1 keeps it (callers hear it at once), 2 records again.",
    at: "When", actor: "Who", entity: "What", key: "Key", action: "Action",
    before: "Before", after: "After",
    newTenant: "New tenant", tenantId: "Tenant id", sipDomain: "SIP domain",
    contractProfiles: "Profiles ordered", firstAdmin: "First admin", createTenant: "Create tenant and admin",
    tenantMade: "Tenant {tenant} made with admin {admin}.", manage: "Manage tenant",
  },
  nl: {
    title: "OpenCC beheer", language: "Taal", signOut: "Afmelden", signInTitle: "Aanmelden",
    username: "Gebruikersnaam", password: "Wachtwoord", signIn: "Aanmelden", tenant: "Klant",
    navUsers: "Gebruikers", navImport: "CSV-import", navNumbers: "Nummers",
    navCallCenters: "Callcenters", navSchedules: "Openingstijden", navGroups: "Huntgroepen en keuzemenu's",
    huntGroup: "Huntgroep", autoAttendant: "Keuzemenu", kind: "Soort",
    newGroup: "Nieuwe huntgroep of keuzemenu", settings: "Instellingen (JSON)", notJson: "Geen JSON",
    navAnnouncements: "Aankondigingen", navAudit: "Logboek", navTenants: "Klanten",
    navHoteling: "Flexplekken", maxMinutes: "Langste aanmelding (minuten)", makeHost: "Maak flexplek",
    guest: "Aangemeld", signedInAt: "Sinds", until: "Tot", lockedUntil: "Geblokkeerd tot",
    free: "vrij", signGuestOut: "Afmelden",
    hotelingHelp: "Gedeelde toestellen (flexplekken) en wie er op elk is aangemeld. Aanmelden op het toestel met *45 en het eigen toestelnummer, dan de pincode en #; *46 meldt af. Een aanmelding eindigt na de langste tijd of aan het eind van de dag.",
    navUsage: "Verbruik", month: "Maand", category: "Categorie", voiceCalls: "Gesprekken",
    voiceMinutes: "Duur (min:s)", sms: "SMS", dataMb: "Data (MB)", exportCsv: "Exporteer CSV",
    exportXlsx: "Exporteer Excel", usageEmpty: "Geen gefactureerd verbruik in deze maand.",
    usageHelp: "Gesprekken naar nummers buiten het bedrijf deze maand, per categorie en per profiel van de beller.",
    category_national: "Nationaal", category_mobile: "Mobiel", category_international: "Internationaal",
    category_premium_rate: "Betaalnummers", category_service: "Servicenummers",
    category_emergency: "Alarmnummer", category_internal: "Intern",
    error: "Geweigerd ({status}) - {field}: {reason}", saved: "Opgeslagen.", deleted: "Verwijderd.",
    notAllowed: "Dit portaal is voor beheerders van een klant en de operator.",
    name: "Naam", extension: "Toestel", profile: "Profiel", roles: "Rollen",
    licences: "Licenties", webPassword: "Webwachtwoord", sipPassword: "SIP-wachtwoord",
    callCenterTier: "Callcenterniveau", supervisorLicence: "Supervisorlicentie",
    receptionist: "Receptieniveau", recording: "Opnemen", none: "geen",
    add: "Toevoegen", save: "Opslaan", cancel: "Annuleren", edit: "Wijzigen", delete: "Verwijderen",
    resetPasswords: "Wachtwoorden opnieuw instellen", addUser: "Gebruiker toevoegen",
    editUser: "{name} wijzigen", previous: "Vorige", next: "Volgende", pageOf: "{from}-{to} van {total}",
    webSignIn: "Webaanmelding", yes: "ja", no: "nee",
    confirmDelete: "{name} verwijderen?",
    confirmBuyout: "Dit kost een afkoopsom van EUR {amount}. Bevestigen?",
    csvHelp: "Kolommen: username, name, extension, sip_password, profile; eventueel password, roles (agent;supervisor), call_center, supervisor, receptionist, recording, language.",
    csvFile: "CSV-bestand", dryRun: "Controleren (proef)", importNow: "Importeren",
    csvOk: "{rows} regels, geen fouten.", csvImported: "{imported} gebruikers geïmporteerd.",
    csvBad: "{count} foute regels: niets geïmporteerd.", line: "Regel", field: "Veld", reason: "Reden",
    blocks: "Nummerblokken", first: "Eerste nummer", last: "Laatste nummer", size: "Grootte",
    addBlock: "Blok toevoegen", directNumbers: "Directe nummers", number: "Nummer",
    destination: "Bestemming", assign: "Toewijzen",
    callCenters: "Callcenters", tier: "Niveau", newCallCenter: "Nieuw callcenter",
    members: "Leden", otherAgents: "Andere agenten", moveIn: "Erin", moveOut: "Eruit",
    dragHelp: "Sleep een agent tussen de lijsten, of gebruik de knop erbij.",
    media: "Meldingen", entrance: "Welkomstmelding", comfort: "Wachtmelding",
    musicOnHold: "Wachtmuziek", standard: "(standaard)", open: "Openen",
    weekly: "Weekroosters", holidayCalendars: "Feestdagenkalenders", weekday: "Dag",
    start: "Van", end: "Tot", addInterval: "Tijdvak toevoegen", remove: "Weghalen",
    country: "Land", extraDates: "Eigen dagen (JJJJ-MM-DD, met komma's)",
    timezone: "Tijdzone", showDays: "Dagen tonen", year: "Jaar",
    days: ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    upload: "Uploaden", audioFile: "WAV- of MP3-bestand", listen: "Beluisteren", seconds: "Seconden",
    usedBy: "Gebruikt door", reference: "Waarde in instelling", uploadedBy: "Door", uploadedAt: "Wanneer",
    phoneNumber: "Nr.",
    recordByPhoneHelp: "Inspreken via de telefoon: bel vanaf uw eigen toestel (dat van een beheerder) *62, toets uw voicemailpincode en #, dan 6. De aankondigingen worden met hun nummer voorgelezen (Nr. hieronder): toets het en #, spreek in na de toon en sluit af met #. U hoort de opname terug: 1 bewaart hem (bellers horen hem meteen), 2 neemt opnieuw op.",
    at: "Wanneer", actor: "Wie", entity: "Wat", key: "Sleutel", action: "Actie",
    before: "Voor", after: "Na",
    newTenant: "Nieuwe klant", tenantId: "Klant-id", sipDomain: "SIP-domein",
    contractProfiles: "Bestelde profielen", firstAdmin: "Eerste beheerder", createTenant: "Klant en beheerder aanmaken",
    tenantMade: "Klant {tenant} aangemaakt met beheerder {admin}.", manage: "Klant beheren",
  },
};

const KEY = "opencc-admin-language";
let language = localStorage.getItem(KEY) ?? (navigator.language?.toLowerCase().startsWith("nl") ? "nl" : "en");

export function lang() {
  return language;
}

export function setLang(chosen) {
  language = chosen in TEXTS ? chosen : "en";
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
}

/** The text `key` in the chosen language with `{name}` filled in from `values`. */
export function t(key, values = {}) {
  const text = TEXTS[language][key] ?? TEXTS.en[key] ?? key;
  if (typeof text !== "string") return text;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export const LANGUAGES = Object.keys(TEXTS);
export const KEYS = Object.keys(TEXTS.en);
