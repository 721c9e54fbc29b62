// Every word the board views and reports show, in English and Dutch. Written for a board member, not
// an engineer: what happened, what Reflex did, who decided.
import type { Locale } from '../../workflows/model/locale';
import type { AuditKind } from '../../workflows/model/audit-events';

/** The board speaks the languages the notifications do. */
export type ReportLocale = Locale;

type Vars = Record<string, string | number | undefined>;

/** A playbook's sign-off standing in words. */
export const standingText = (labels: Record<string, string>, status: 'signed-off' | 'changed' | 'unsigned') =>
  ({ 'signed-off': labels.signedOff, changed: labels.changedSince, unsigned: labels.notSignedOff })[status] ??
  status;

/** A label with `{name}` placeholders, filled in. */
export const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
type Text = (v: Vars) => string;

/** Kinds a board's timeline never words: detail for investigators, or events of other chains. */
type Unworded =
  | 'step.started'
  | 'approval.closed'
  | 'alert.rejected'
  | 'alert.unrouted'
  | 'log.skipped'
  | 'log.dropped'
  | 'config.loaded'
  | 'playbook.signed-off';

/** One sentence per kind of event on a timeline, plus a notification sent and a kind not known. */
export type TimelineTexts = Record<
  | Exclude<AuditKind, Unworded>
  | 'step.notified'
  | 'sign-off.quoted'
  | 'sign-off.changed'
  | 'sign-off.none'
  | 'other',
  Text
>;

interface Dictionary {
  /** What a failed verification made Reflex do, in words: e.g. "Reflex blocked the account". */
  escalation: (done: { blocked: boolean; revoked: boolean; told: boolean }) => string;
  labels: Record<string, string>;
  status: Record<string, string>;
  outcome: Record<string, string>;
  templates: Record<string, string>;
  events: TimelineTexts;
}

const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));

const EN: Dictionary = {
  escalation: ({ blocked, revoked, told }) => {
    const did = [
      blocked && 'blocked the account',
      revoked && 'signed it out again',
      told && 'told on-call',
    ].filter(Boolean);
    return did.length
      ? `Reflex ${did.join(', ').replace(/, ([^,]*)$/, ' and $1')}`
      : 'Reflex did nothing more (the playbook says so)';
  },
  labels: {
    incidents: 'Incidents',
    incident: 'Incident',
    timeline: 'Timeline',
    summary: 'Period summary',
    readiness: 'Readiness check',
    readinessIntro: 'What Reflex needs during an incident, checked now. Each problem says how to fix it.',
    readinessOk: 'ok',
    readinessProblem: 'problem',
    readinessNotChecked: 'not checked',
    readinessFix: 'Fix',
    readinessNone: 'Nothing to fix.',
    governanceReport: 'Governance report',
    realIncidents: 'real incidents',
    containedInWindow: 'contained within 10 minutes (of those with a containment action)',
    drillsRun: 'drills run',
    drillsPerPlaybook: 'Drills per playbook',
    playbookSignOffs: 'Playbooks and their sign-off',
    readinessFindings: 'Readiness problems, and how long they were open',
    stillOpen: 'still open',
    silentSources: 'Sources that fell silent',
    noSilences: 'No source fell silent.',
    alertsAccounted: 'Alerts accounted for',
    received: 'Received',
    handledCol: 'Handled',
    refusedCol: 'Refused',
    retriedCol: 'Asked to retry',
    replayedCol: 'Replays refused',
    recordedCol: 'On the record',
    recordedText: '{opened} opened an incident, {joined} joined one, {unrouted} unrouted, {rejected} refused',
    alertsSummary:
      '{received} deliveries received: {handled} handled (an incident opened or joined, recorded as unrouted, or nothing to do), {refused} refused (credentials, malformed, unknown source), {retried} asked to retry (their retries are counted again), {replayed} replays refused, {failed} failed.',
    noneUnhandled: 'No alert went unhandled.',
    someUnhandled: '{n} deliveries failed inside Reflex: see its log.',
    alertsNote:
      'Deliveries are counted as they are answered and written every few seconds; the record column is the audit trail itself (log rules and drills appear only there).',
    breachRegister: 'Breach register',
    breachIntro:
      'Every incident that may be a personal-data breach, with the data-protection officer’s decision: GDPR Art. 33(5) asks for all of them to be documented, reported or not. Drills are not listed.',
    deadline72: '72-hour deadline',
    authorityDecision: 'Autoriteit Persoonsgegevens',
    subjectsDecision: 'People affected (Art. 34)',
    reported: 'Reported',
    notReported: 'Not reported',
    noDecision: 'No decision recorded',
    reportedOn: 'Reported on',
    reference: 'Reference',
    whyNotReported: 'Why not',
    informed: 'Informed',
    notInformed: 'Not informed',
    informedOn: 'Informed on',
    informedHow: 'How',
    whyNotInformed: 'Why not',
    decidedBy: 'Decided by',
    decidedOn: 'Decided on',
    recordDecision: 'Record the decision',
    currentDecision: 'Recorded',
    recordAs: 'Record as',
    sources: 'Sources',
    sourcesIntro:
      'The security tools and logs that raise alerts. One that promised to speak regularly and went silent is listed first: on-call was told.',
    lastDelivery: 'Last delivery',
    expectedEvery: 'Expected every',
    never: 'never',
    silent: 'Silent',
    speaking: 'Speaking',
    unwatched: 'Not watched',
    playbooks: 'Playbooks',
    playbooksIntro:
      'What Reflex does on its own when an alert arrives. A playbook is pre-approved once the board signs off its exact content; a change after that is flagged until it is signed off again.',
    signedOff: 'Signed off',
    signedOffBy: 'signed off by {by}, {role}, on {date}',
    changedSince: 'Changed since sign-off',
    changedSinceBy: 'version {version} was signed off by {by}, {role}, on {date}; the content differs now',
    notSignedOff: 'Not signed off',
    signOffAs: 'Sign off version {version} as {person}',
    yourRole: 'Your role',
    signOffButton: 'Sign off',
    signOffRecorded: 'Sign-off recorded.',
    contentDigest: 'Content digest',
    stepsLabel: 'Steps',
    asksApproval: 'asks approval',
    withoutApproval: 'runs without asking',
    period: 'Period',
    from: 'From',
    to: 'To',
    status: 'Status',
    playbook: 'Playbook',
    kind: 'Kind',
    all: 'All',
    drills: 'Drills only',
    real: 'Real incidents only',
    filter: 'Show',
    started: 'Started',
    alert: 'Alert',
    alerts: 'Alerts',
    severity: 'Severity',
    source: 'Source',
    drill: 'DRILL',
    drillNote: 'This was a drill: no account was changed and e-mails went only to the drill recipients.',
    firstContainment: 'Time to first containment',
    fullContainment: 'Time to full containment',
    notYet: 'not yet',
    noContainment: 'no containment step',
    gdpr: 'GDPR 72-hour clock',
    awareAt: 'Aware since',
    deadline: 'Deadline for notifying the Dutch DPA',
    dpoNotified: 'Data-protection officer notified',
    dpoInTime: 'in time',
    dpoLate: 'late',
    dpoNotNotified: 'not notified by Reflex',
    authorityNotified: 'NCSC / authority notified',
    approvals: 'Who decided',
    decisions: 'Decisions',
    noApprovals: 'No step needed approval.',
    when: 'When',
    who: 'Who',
    what: 'What happened',
    print: 'Print',
    pdf: 'PDF',
    back: 'All incidents',
    none: 'No incidents match.',
    count: 'Incidents',
    contained: 'Contained',
    open: 'Open',
    within10: 'Contained within 10 minutes',
    distribution: 'Time to first containment, against the 10-minute attack window',
    openActions: 'Open actions',
    noOpenActions: 'Nothing is open.',
    minutes: 'min',
    generated: 'Generated',
    record: 'From the tamper-evident audit record; chain verified',
    recordBroken: 'WARNING: the audit record of this incident does not verify',
    signOut: 'Sign out',
    attackWindow: '10-minute attack window',
    waitingApproval: 'waiting for approval',
    stillRunning: 'still running',
    awaitingResolution: 'contained, waiting for a responder to close it',
  },
  status: {
    running: 'In progress',
    contained: 'Contained',
    resolved: 'Resolved',
    'false-positive': 'False positive',
    aborted: 'Aborted',
  },
  outcome: {
    proceed: 'went ahead with it',
    skip: 'did not do it',
    abort: 'stopped the response and undid what it had done',
    approved: 'approved',
    rejected: 'rejected',
    'timed-out': 'timed out',
  },
  templates: {
    'dpo-art33': 'the data-protection officer (GDPR Art. 33)',
    ncsc: 'the NCSC contact',
    'on-call': 'the on-call staff',
    owner: 'the application owner',
    'manual-steps': 'the on-call staff (manual steps)',
    'approval-request': 'the approvers',
  },
  events: {
    'alert.received': (v) =>
      `Alert received from ${s(v.source)}: “${s(v.title)}” (severity ${s(v.severity)})${v.users ? `, account(s) ${s(v.users)}` : ''}.`,
    'alert.joined': (v) =>
      `Another alert joined this incident: “${s(v.title)}” (${s(v.alertCount)} alerts in all).`,
    'incident.started': (v) => `Reflex opened the incident and started the playbook “${s(v.title)}”.`,
    'sign-off.quoted': (v) =>
      `Containment pre-approved by the board on ${s(v.date)} (playbook ${s(v.playbook)} v${s(v.version)}, signed off by ${s(v.by)}, ${s(v.role)}).`,
    'sign-off.changed': (v) =>
      `Not as pre-approved: playbook ${s(v.playbook)} has changed since the board signed off version ${s(v.version)} on ${s(v.date)} (${s(v.by)}, ${s(v.role)}). ${v.approvalRequired ? 'Every step that would have acted without a person asked on-call first.' : 'Its steps ran as written.'}`,
    'sign-off.none': (v) => `No board sign-off is on record for playbook ${s(v.playbook)} v${s(v.version)}.`,
    'breach.decided': (v) =>
      `${s(v.actor)} recorded the breach-register decision: ${v.reportedAt ? `reported to the Autoriteit Persoonsgegevens on ${s(v.reportedAt)} (reference ${s(v.reference)})` : `not reported to the Autoriteit Persoonsgegevens, because: ${s(v.notReported)}`}; ${v.informedAt ? `the people affected were informed on ${s(v.informedAt)} (${s(v.how)})` : `the people affected were not informed, because: ${s(v.notInformed)}`}.`,
    'breach.reminded': (v) =>
      `No breach-register decision yet: reminded the data-protection officer (${s(v.to)}); the 72-hour deadline is ${s(v.deadline)}.`,
    'drill.started': () => 'Drill started: actions are only rehearsed.',
    'drill.finished': () => 'Drill finished.',
    'step.succeeded': (v) => `Done: ${s(v.description)}.${v.outcome ? ` ${s(v.outcome)}` : ''}`,
    'step.notified': (v) => `E-mailed ${s(v.whom)} (${s(v.to)}).`,
    'step.failed': (v) => `Failed: ${s(v.description)} (${s(v.error)}).`,
    'step.retried': (v) => `Trying again: ${s(v.description)} (attempt ${s(v.attempt)}).`,
    'step.skipped': (v) => `Skipped: ${s(v.description)}${v.reason ? ` (${s(v.reason)})` : ''}.`,
    'step.rejected': (v) => `Not done, because it was rejected: ${s(v.description)}.`,
    'step.compensated': (v) => `Undone: ${s(v.description)}.`,
    'step.compensation-failed': (v) => `Could not undo: ${s(v.description)} (${s(v.error)}).`,
    'approval.requested': (v) =>
      `Asked ${s(v.approvers)} to approve “${s(v.description)}”, before ${s(v.deadline)}.`,
    'approval.viewed': (v) => `${s(v.actor)} opened the approval page for “${s(v.description)}”.`,
    'approval.decided': (v) => `${s(v.actor)} ${s(v.decision)} “${s(v.description)}”.`,
    'approval.escalated': (v) => `No decision yet: also asked ${s(v.addresses)}.`,
    'approval.reminded': (v) => `Reminded ${s(v.addresses)}.`,
    'chat.posted': (v) => `Posted about “${s(v.description)}” in the chat channel ${s(v.channel)}.`,
    'chat.failed': (v) =>
      `Could not post about “${s(v.description)}” in the chat channel ${s(v.channel)} (${s(v.error)}); the e-mail went out.`,
    'approval.timed-out': (v) => `Nobody decided in time on “${s(v.description)}”: Reflex ${s(v.outcome)}.`,
    'verification.passed': (v) => `Sign-out verified: no sign-in since ${s(v.since)}.`,
    'verification.failed': (v) =>
      `Still active at ${s(v.at)} from ${s(v.ip) || 'an unknown address'}${v.app ? ` (${s(v.app)})` : ''}: ${s(v.done)}.`,
    'incident.contained': () => 'Every step is done: the incident is contained.',
    'incident.closed': (v) =>
      `${s(v.actor)} closed the incident: ${s(v.status)}${v.note ? ` (“${s(v.note)}”)` : ''}.`,
    other: (v) => `${s(v.kind)}.`,
  },
};

const NL: Dictionary = {
  escalation: ({ blocked, revoked, told }) => {
    const did = [
      blocked && 'het account geblokkeerd',
      revoked && 'opnieuw afgemeld',
      told && 'de dienstdoende verteld',
    ].filter(Boolean);
    return did.length
      ? `Reflex heeft ${did.join(', ').replace(/, ([^,]*)$/, ' en $1')}`
      : 'Reflex deed niets meer (zo zegt het draaiboek)';
  },
  labels: {
    incidents: 'Incidenten',
    incident: 'Incident',
    timeline: 'Tijdlijn',
    summary: 'Overzicht over een periode',
    readiness: 'Paraatheidscontrole',
    readinessIntro:
      'Wat Reflex tijdens een incident nodig heeft, nu gecontroleerd. Bij elk probleem staat hoe het op te lossen is (in het Engels).',
    readinessOk: 'in orde',
    readinessProblem: 'probleem',
    readinessNotChecked: 'niet gecontroleerd',
    readinessFix: 'Oplossing',
    readinessNone: 'Niets op te lossen.',
    governanceReport: 'Governancerapport',
    realIncidents: 'echte incidenten',
    containedInWindow: 'binnen 10 minuten ingeperkt (van die met een inperkende actie)',
    drillsRun: 'oefeningen gedaan',
    drillsPerPlaybook: 'Oefeningen per draaiboek',
    playbookSignOffs: 'Draaiboeken en hun aftekening',
    readinessFindings: 'Paraatheidsproblemen, en hoe lang ze openstonden',
    stillOpen: 'staat nog open',
    silentSources: 'Bronnen die stil vielen',
    noSilences: 'Geen bron viel stil.',
    alertsAccounted: 'Verantwoording van meldingen',
    received: 'Ontvangen',
    handledCol: 'Afgehandeld',
    refusedCol: 'Geweigerd',
    retriedCol: 'Opnieuw te sturen',
    replayedCol: 'Herhalingen geweigerd',
    recordedCol: 'Vastgelegd',
    recordedText:
      '{opened} openden een incident, {joined} sloten aan, {unrouted} zonder draaiboek, {rejected} geweigerd',
    alertsSummary:
      '{received} leveringen ontvangen: {handled} afgehandeld (incident geopend of aangesloten, vastgelegd zonder draaiboek, of niets te doen), {refused} geweigerd (inloggegevens, onleesbaar, onbekende bron), {retried} gevraagd opnieuw te sturen (die pogingen tellen opnieuw), {replayed} herhalingen geweigerd, {failed} mislukt.',
    noneUnhandled: 'Geen melding bleef onbehandeld.',
    someUnhandled: '{n} leveringen mislukten binnen Reflex: zie het logboek.',
    alertsNote:
      'Leveringen worden geteld bij het antwoord en om de paar seconden weggeschreven; de kolom Vastgelegd is het auditspoor zelf (logregels en oefeningen staan alleen daar).',
    breachRegister: 'Register van datalekken',
    breachIntro:
      'Elk incident dat een datalek kan zijn, met het besluit van de functionaris gegevensbescherming: de AVG (art. 33 lid 5) vraagt ze alle te documenteren, gemeld of niet. Oefeningen staan er niet in.',
    deadline72: 'Termijn van 72 uur',
    authorityDecision: 'Autoriteit Persoonsgegevens',
    subjectsDecision: 'Betrokkenen (art. 34)',
    reported: 'Gemeld',
    notReported: 'Niet gemeld',
    noDecision: 'Geen besluit vastgelegd',
    reportedOn: 'Gemeld op',
    reference: 'Kenmerk',
    whyNotReported: 'Waarom niet',
    informed: 'Ingelicht',
    notInformed: 'Niet ingelicht',
    informedOn: 'Ingelicht op',
    informedHow: 'Hoe',
    whyNotInformed: 'Waarom niet',
    decidedBy: 'Besloten door',
    decidedOn: 'Besloten op',
    recordDecision: 'Besluit vastleggen',
    currentDecision: 'Vastgelegd',
    recordAs: 'Vastleggen als',
    sources: 'Bronnen',
    sourcesIntro:
      'De beveiligingssystemen en logs die meldingen doen. Een bron die beloofde regelmatig te spreken en stil viel, staat bovenaan: de dienstdoende medewerkers zijn ingelicht.',
    lastDelivery: 'Laatste levering',
    expectedEvery: 'Verwacht elke',
    never: 'nooit',
    silent: 'Stil',
    speaking: 'Spreekt',
    unwatched: 'Niet bewaakt',
    playbooks: 'Draaiboeken',
    playbooksIntro:
      'Wat Reflex zelf doet als er een melding binnenkomt. Een draaiboek is vooraf goedgekeurd zodra het bestuur de precieze inhoud aftekent; een wijziging daarna wordt gemeld tot het opnieuw is afgetekend.',
    signedOff: 'Afgetekend',
    signedOffBy: 'afgetekend door {by}, {role}, op {date}',
    changedSince: 'Gewijzigd sinds aftekening',
    changedSinceBy: 'versie {version} is afgetekend door {by}, {role}, op {date}; de inhoud is nu anders',
    notSignedOff: 'Niet afgetekend',
    signOffAs: 'Versie {version} aftekenen als {person}',
    yourRole: 'Uw rol',
    signOffButton: 'Aftekenen',
    signOffRecorded: 'Aftekening vastgelegd.',
    contentDigest: 'Controlegetal van de inhoud',
    stepsLabel: 'Stappen',
    asksApproval: 'vraagt goedkeuring',
    withoutApproval: 'loopt zonder te vragen',
    period: 'Periode',
    from: 'Van',
    to: 'Tot',
    status: 'Status',
    playbook: 'Draaiboek',
    kind: 'Soort',
    all: 'Alle',
    drills: 'Alleen oefeningen',
    real: 'Alleen echte incidenten',
    filter: 'Toon',
    started: 'Begonnen',
    alert: 'Melding',
    alerts: 'Meldingen',
    severity: 'Ernst',
    source: 'Bron',
    drill: 'OEFENING',
    drillNote:
      'Dit was een oefening: er is geen account gewijzigd en e-mails gingen alleen naar de deelnemers van de oefening.',
    firstContainment: 'Tijd tot eerste indamming',
    fullContainment: 'Tijd tot volledige indamming',
    notYet: 'nog niet',
    noContainment: 'geen indammingsstap',
    gdpr: 'AVG-termijn van 72 uur',
    awareAt: 'Bekend sinds',
    deadline: 'Uiterste melddatum bij de Autoriteit Persoonsgegevens',
    dpoNotified: 'Functionaris gegevensbescherming ingelicht',
    dpoInTime: 'op tijd',
    dpoLate: 'te laat',
    dpoNotNotified: 'niet door Reflex ingelicht',
    authorityNotified: 'NCSC / toezichthouder ingelicht',
    approvals: 'Wie besliste',
    decisions: 'Beslissingen',
    noApprovals: 'Geen stap had goedkeuring nodig.',
    when: 'Wanneer',
    who: 'Wie',
    what: 'Wat er gebeurde',
    print: 'Afdrukken',
    pdf: 'PDF',
    back: 'Alle incidenten',
    none: 'Geen incidenten gevonden.',
    count: 'Incidenten',
    contained: 'Ingedamd',
    open: 'Open',
    within10: 'Binnen 10 minuten ingedamd',
    distribution: 'Tijd tot eerste indamming, afgezet tegen de aanvalsduur van 10 minuten',
    openActions: 'Openstaande acties',
    noOpenActions: 'Er staat niets open.',
    minutes: 'min',
    generated: 'Gemaakt',
    record: 'Uit het fraudebestendige auditlogboek; keten gecontroleerd',
    recordBroken: 'LET OP: het auditlogboek van dit incident klopt niet',
    signOut: 'Afmelden',
    attackWindow: 'aanvalsduur van 10 minuten',
    waitingApproval: 'wacht op goedkeuring',
    stillRunning: 'nog bezig',
    awaitingResolution: 'ingedamd, wacht op afsluiting door een responder',
  },
  status: {
    running: 'Bezig',
    contained: 'Ingedamd',
    resolved: 'Afgehandeld',
    'false-positive': 'Loos alarm',
    aborted: 'Afgebroken',
  },
  outcome: {
    proceed: 'voerde het toch uit',
    skip: 'voerde het niet uit',
    abort: 'stopte de afhandeling en draaide terug wat al gedaan was',
    approved: 'keurde goed',
    rejected: 'wees af',
    'timed-out': 'verlopen',
  },
  templates: {
    'dpo-art33': 'de functionaris gegevensbescherming (AVG art. 33)',
    ncsc: 'het NCSC-contact',
    'on-call': 'de dienstdoende medewerkers',
    owner: 'de eigenaar van de applicatie',
    'manual-steps': 'de dienstdoende medewerkers (handmatige stappen)',
    'approval-request': 'de beslissers',
  },
  events: {
    'alert.received': (v) =>
      `Melding ontvangen van ${s(v.source)}: “${s(v.title)}” (ernst ${s(v.severity)})${v.users ? `, account(s) ${s(v.users)}` : ''}.`,
    'alert.joined': (v) =>
      `Nog een melding bij dit incident: “${s(v.title)}” (${s(v.alertCount)} meldingen in totaal).`,
    'incident.started': (v) => `Reflex opende het incident en startte het draaiboek “${s(v.title)}”.`,
    'sign-off.quoted': (v) =>
      `Inperking vooraf goedgekeurd door het bestuur op ${s(v.date)} (draaiboek ${s(v.playbook)} v${s(v.version)}, afgetekend door ${s(v.by)}, ${s(v.role)}).`,
    'sign-off.changed': (v) =>
      `Niet zoals vooraf goedgekeurd: draaiboek ${s(v.playbook)} is gewijzigd sinds het bestuur versie ${s(v.version)} aftekende op ${s(v.date)} (${s(v.by)}, ${s(v.role)}). ${v.approvalRequired ? 'Elke stap die zonder mens zou handelen, vroeg eerst de dienstdoende medewerkers om goedkeuring.' : 'De stappen liepen zoals beschreven.'}`,
    'sign-off.none': (v) =>
      `Er is geen aftekening door het bestuur bekend voor draaiboek ${s(v.playbook)} v${s(v.version)}.`,
    'breach.decided': (v) =>
      `${s(v.actor)} legde het besluit voor het register van datalekken vast: ${v.reportedAt ? `gemeld bij de Autoriteit Persoonsgegevens op ${s(v.reportedAt)} (kenmerk ${s(v.reference)})` : `niet gemeld bij de Autoriteit Persoonsgegevens, omdat: ${s(v.notReported)}`}; ${v.informedAt ? `de betrokkenen zijn ingelicht op ${s(v.informedAt)} (${s(v.how)})` : `de betrokkenen zijn niet ingelicht, omdat: ${s(v.notInformed)}`}.`,
    'breach.reminded': (v) =>
      `Nog geen besluit voor het register van datalekken: de functionaris gegevensbescherming (${s(v.to)}) is herinnerd; de termijn van 72 uur loopt af op ${s(v.deadline)}.`,
    'drill.started': () => 'Oefening gestart: acties worden alleen geoefend.',
    'drill.finished': () => 'Oefening afgelopen.',
    'step.succeeded': (v) => `Gedaan: ${s(v.description)}.${v.outcome ? ` ${s(v.outcome)}` : ''}`,
    'step.notified': (v) => `E-mail gestuurd aan ${s(v.whom)} (${s(v.to)}).`,
    'step.failed': (v) => `Mislukt: ${s(v.description)} (${s(v.error)}).`,
    'step.retried': (v) => `Opnieuw geprobeerd: ${s(v.description)} (poging ${s(v.attempt)}).`,
    'step.skipped': (v) => `Overgeslagen: ${s(v.description)}${v.reason ? ` (${s(v.reason)})` : ''}.`,
    'step.rejected': (v) => `Niet gedaan, want afgewezen: ${s(v.description)}.`,
    'step.compensated': (v) => `Teruggedraaid: ${s(v.description)}.`,
    'step.compensation-failed': (v) => `Kon niet terugdraaien: ${s(v.description)} (${s(v.error)}).`,
    'approval.requested': (v) =>
      `${s(v.approvers)} gevraagd om “${s(v.description)}” goed te keuren, vóór ${s(v.deadline)}.`,
    'approval.viewed': (v) => `${s(v.actor)} opende de goedkeuringspagina voor “${s(v.description)}”.`,
    'approval.decided': (v) => `${s(v.actor)} ${s(v.decision)}: “${s(v.description)}”.`,
    'approval.escalated': (v) => `Nog geen beslissing: ook ${s(v.addresses)} gevraagd.`,
    'approval.reminded': (v) => `Herinnering gestuurd aan ${s(v.addresses)}.`,
    'chat.posted': (v) => `Bericht over “${s(v.description)}” geplaatst in het chatkanaal ${s(v.channel)}.`,
    'chat.failed': (v) =>
      `Bericht over “${s(v.description)}” kon niet in het chatkanaal ${s(v.channel)} worden geplaatst (${s(v.error)}); de e-mail is verstuurd.`,
    'approval.timed-out': (v) =>
      `Niemand besliste op tijd over “${s(v.description)}”: Reflex ${s(v.outcome)}.`,
    'verification.passed': (v) => `Afmelding gecontroleerd: geen aanmelding sinds ${s(v.since)}.`,
    'verification.failed': (v) =>
      `Nog actief om ${s(v.at)} vanaf ${s(v.ip) || 'een onbekend adres'}${v.app ? ` (${s(v.app)})` : ''}: ${s(v.done)}.`,
    'incident.contained': () => 'Alle stappen zijn klaar: het incident is ingedamd.',
    'incident.closed': (v) =>
      `${s(v.actor)} sloot het incident af: ${s(v.status)}${v.note ? ` (“${s(v.note)}”)` : ''}.`,
    other: (v) => `${s(v.kind)}.`,
  },
};

export const DICTIONARIES: Record<ReportLocale, Dictionary> = { en: EN, nl: NL };

/** The locale a request asks for: `?lang=`, then Accept-Language, then the organisation's default. */
export function pickLocale(
  query: unknown,
  acceptLanguage: string | undefined,
  fallback: ReportLocale,
): ReportLocale {
  if (query === 'en' || query === 'nl') return query;
  const first = acceptLanguage?.split(',')[0]?.trim().slice(0, 2).toLowerCase();
  if (first === 'nl' || first === 'en') return first;
  return fallback;
}

/** A duration written out for people: "4 min 12 s", "2 h 5 min". */
export function formatDuration(ms: number | undefined, locale: ReportLocale): string {
  if (ms === undefined) return '';
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = seconds % 60;
  const u = locale === 'nl' ? { h: 'u', m: 'min', s: 's' } : { h: 'h', m: 'min', s: 's' };
  if (h > 0) return `${h} ${u.h} ${m} ${u.m}`;
  if (m > 0) return `${m} ${u.m} ${sec} ${u.s}`;
  return `${sec} ${u.s}`;
}
