// PDF exports with pdfkit (pure JavaScript, no browser on the server). One incident: page 1 is the
// summary a board member reads, then the full timeline. A period: page 1 the figures and the
// time-to-contain chart against the 10-minute window, page 2 what is still open.
import type PDFDocument from 'pdfkit';
import { formatTime } from '../../activities/notify/send';
import { DICTIONARIES, fill, formatDuration, standingText, type ReportLocale } from './i18n';
import type { PeriodSummary } from './summary';
import type { Timeline } from './timeline';
import type { RegisterEntry } from '../../storage/breach-register';
import type { GovernanceReport } from './governance';

interface PdfContext {
  locale: ReportLocale;
  timeZone: string;
  organisation: string;
}

const MARGIN = 50;

/** pdfkit, loaded on the first export rather than at start: ~80 ms that every restart need not pay. */
let pdfkit: Promise<typeof PDFDocument> | undefined;

async function render(title: string, draw: (doc: PDFKit.PDFDocument) => void): Promise<Buffer> {
  // pdfkit is CommonJS (`export =`): a dynamic import gives its exports as `default`.
  const Doc = await (pdfkit ??= import('pdfkit').then(
    (m) => (m as unknown as { default: typeof PDFDocument }).default,
  ));
  return new Promise((done, fail) => {
    const doc = new Doc({ size: 'A4', margin: MARGIN, info: { Title: title, Creator: 'Reflex' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => done(Buffer.concat(chunks)));
    doc.on('error', fail);
    try {
      draw(doc);
      doc.end();
    } catch (err) {
      fail(err as Error);
    }
  });
}

function heading(doc: PDFKit.PDFDocument, text: string, size = 16): void {
  doc.font('Helvetica-Bold').fontSize(size).fillColor('#000').text(text);
  doc.moveDown(0.4);
  doc.font('Helvetica').fontSize(10);
}

function fact(doc: PDFKit.PDFDocument, label: string, value: string): void {
  doc.font('Helvetica-Bold').fontSize(10).text(`${label}: `, { continued: true });
  doc.font('Helvetica').text(value || '–');
}

function footer(doc: PDFKit.PDFDocument, ctx: PdfContext): void {
  const d = DICTIONARIES[ctx.locale];
  doc.moveDown(1);
  doc
    .fontSize(8)
    .fillColor('#666')
    .text(
      `Reflex · ${ctx.organisation} · ${d.labels.generated} ${formatTime(new Date().toISOString(), ctx.locale, ctx.timeZone)}`,
    );
  doc.fillColor('#000').fontSize(10);
}

export function incidentPdf(t: Timeline, verified: boolean, ctx: PdfContext): Promise<Buffer> {
  const d = DICTIONARIES[ctx.locale];
  const time = (iso?: string) => (iso ? formatTime(iso, ctx.locale, ctx.timeZone) : '');
  return render(`${t.playbook.title} ${t.incidentId}`, (doc) => {
    heading(doc, `${t.drill ? `${d.labels.drill}: ` : ''}${t.playbook.title}`, 18);
    fact(doc, d.labels.incident!, t.incidentId);
    fact(doc, d.labels.status!, t.statusText);
    if (t.alert) fact(doc, d.labels.alert!, `${t.alert.title} (${t.alert.severity}, ${t.alert.source})`);
    fact(doc, d.labels.alerts!, String(t.alertCount));
    fact(doc, d.labels.started!, time(t.startedAt));
    if (t.drill) {
      doc.moveDown(0.5).font('Helvetica-Oblique').text(d.labels.drillNote!).font('Helvetica');
    }
    doc.moveDown(0.8);
    heading(doc, d.labels.firstContainment!, 12);
    fact(doc, d.labels.firstContainment!, `${t.timeToFirstContainmentText} ${time(t.firstContainedAt)}`);
    fact(doc, d.labels.fullContainment!, `${t.timeToFullContainmentText} ${time(t.containedAt)}`);
    doc.moveDown(0.8);
    heading(doc, d.labels.gdpr!, 12);
    fact(doc, d.labels.awareAt!, time(t.gdpr.awareAt));
    fact(doc, d.labels.deadline!, time(t.gdpr.deadline));
    fact(
      doc,
      d.labels.dpoNotified!,
      t.gdpr.dpoNotifiedAt
        ? `${time(t.gdpr.dpoNotifiedAt)} (${t.gdpr.dpoInTime ? d.labels.dpoInTime : d.labels.dpoLate})`
        : d.labels.dpoNotNotified!,
    );
    if (t.gdpr.authorityNotifiedAt) fact(doc, d.labels.authorityNotified!, time(t.gdpr.authorityNotifiedAt));
    doc.moveDown(0.8);
    heading(doc, d.labels.approvals!, 12);
    if (t.approvals.length === 0) doc.text(d.labels.noApprovals!);
    for (const a of t.approvals) {
      doc.font('Helvetica-Bold').text(a.description).font('Helvetica');
      if (a.decisions.length === 0) doc.text(`  ${d.outcome[a.outcome ?? ''] ?? d.labels.waitingApproval}`);
      for (const x of a.decisions)
        doc.text(`  ${x.approver}: ${d.outcome[x.decision] ?? x.decision} · ${x.time}`);
    }
    doc.moveDown(0.8);
    doc.fontSize(9).text(`${verified ? d.labels.record : d.labels.recordBroken}`);
    footer(doc, ctx);

    doc.addPage();
    heading(doc, d.labels.timeline!, 14);
    for (const entry of t.entries) {
      doc.font('Helvetica-Bold').fontSize(9).text(entry.time);
      doc.font('Helvetica').fontSize(10).text(entry.text, { indent: 10 });
      doc.moveDown(0.3);
    }
  });
}

export function summaryPdf(
  s: PeriodSummary,
  pending: ReadonlyArray<{ incidentId: string; stepId: string }>,
  ctx: PdfContext,
): Promise<Buffer> {
  const d = DICTIONARIES[ctx.locale];
  const time = (iso?: string) => (iso ? formatTime(iso, ctx.locale, ctx.timeZone) : '…');
  return render(d.labels.summary!, (doc) => {
    heading(doc, `${d.labels.summary} · ${ctx.organisation}`, 18);
    fact(doc, d.labels.period!, `${time(s.from)} – ${time(s.to)}`);
    fact(doc, d.labels.count!, `${s.real} (+ ${s.drills} ${d.labels.drills})`);
    for (const [status, count] of Object.entries(s.byStatus))
      fact(doc, d.status[status] ?? status, String(count));
    fact(doc, d.labels.within10!, `${s.containedWithinWindow} / ${s.withContainment}`);
    doc.moveDown(1);
    heading(doc, d.labels.distribution!, 12);

    // A bar per bucket; bars inside the attack window in blue, beyond it in red, with the 10-minute line.
    const top = doc.y + 5;
    const left = MARGIN + 70;
    const width = 380;
    const rowHeight = 22;
    const max = Math.max(1, ...s.distribution.map((b) => b.count));
    s.distribution.forEach((bucket, i) => {
      const y = top + i * rowHeight;
      doc
        .fillColor('#000')
        .fontSize(9)
        .text(`${bucket.label} ${d.labels.minutes}`, MARGIN, y + 3, { width: 65 });
      const w = (bucket.count / max) * width;
      if (w > 0) doc.rect(left, y, w, 14).fill(bucket.withinWindow ? '#2f6fdf' : '#b42318');
      doc.fillColor('#000').text(String(bucket.count), left + w + 5, y + 3);
    });
    const windowIndex = s.distribution.findIndex((b) => !b.withinWindow);
    const lineY = top + windowIndex * rowHeight - 4;
    doc
      .moveTo(MARGIN, lineY)
      .lineTo(left + width, lineY)
      .dash(4, { space: 3 })
      .strokeColor('#b42318')
      .stroke()
      .undash();
    doc
      .fillColor('#b42318')
      .fontSize(8)
      .text(d.labels.attackWindow!, left + width - 120, lineY - 10, { width: 120, align: 'right' });
    doc.fillColor('#000').fontSize(10);
    doc.x = MARGIN;
    doc.y = top + s.distribution.length * rowHeight + 10;
    footer(doc, ctx);

    doc.addPage();
    heading(doc, d.labels.openActions!, 14);
    if (s.open.length === 0 && pending.length === 0) doc.text(d.labels.noOpenActions!);
    for (const i of s.open) {
      doc.text(
        `${i.playbook.title} (${i.id}) · ${i.status === 'running' ? d.labels.stillRunning : d.labels.awaitingResolution} · ${time(i.startedAt)}`,
      );
    }
    for (const p of pending) doc.text(`${d.labels.waitingApproval}: ${p.stepId} (${p.incidentId})`);
  });
}

/** The breach register: one block per incident with the DPO's decision (GDPR Art. 33(5)). */
export function breachRegisterPdf(entries: readonly RegisterEntry[], ctx: PdfContext): Promise<Buffer> {
  const d = DICTIONARIES[ctx.locale];
  const l = d.labels;
  const time = (iso?: string) => (iso ? formatTime(iso, ctx.locale, ctx.timeZone) : '');
  return render(l.breachRegister!, (doc) => {
    heading(doc, `${l.breachRegister} · ${ctx.organisation}`, 18);
    doc.text(l.breachIntro!);
    doc.moveDown(0.8);
    if (entries.length === 0) doc.text(l.none!);
    for (const e of entries) {
      heading(doc, `${e.incident.playbook.title} (${e.incident.id})`, 12);
      if (e.incident.alertTitle) fact(doc, l.alert!, e.incident.alertTitle);
      fact(doc, l.started!, time(e.incident.startedAt));
      fact(doc, l.dpoNotified!, time(e.dpoNotifiedAt));
      fact(doc, l.deadline72!, time(e.deadline));
      const a = e.decision?.authority;
      const s = e.decision?.subjects;
      fact(
        doc,
        l.authorityDecision!,
        a
          ? a.reported
            ? `${l.reported} ${time(a.at)} (${l.reference} ${a.reference})`
            : `${l.notReported}: ${a.reason}`
          : l.noDecision!,
      );
      if (s) {
        fact(
          doc,
          l.subjectsDecision!,
          s.informed ? `${l.informed} ${time(s.at)} (${s.how})` : `${l.notInformed}: ${s.reason}`,
        );
      }
      if (e.decision) fact(doc, l.decidedBy!, `${e.decision.by}, ${time(e.decision.at)}`);
      doc.moveDown(0.6);
    }
    footer(doc, ctx);
  });
}

/** The quarterly governance report: incidents and alerts, then playbooks and drills, then readiness and sources. */
export function governancePdf(r: GovernanceReport, ctx: PdfContext): Promise<Buffer> {
  const l = DICTIONARIES[ctx.locale].labels;
  const time = (iso?: string) => (iso ? formatTime(iso, ctx.locale, ctx.timeZone) : '–');
  const period = `${time(r.from)} – ${time(r.to)}`;
  return render(l.governanceReport!, (doc) => {
    heading(doc, `${l.governanceReport} · ${ctx.organisation}`, 18);
    fact(doc, l.period!, period);
    doc.moveDown(0.6);
    heading(doc, l.incidents!, 12);
    fact(doc, l.realIncidents!, String(r.summary.real));
    fact(doc, l.containedInWindow!, `${r.summary.containedWithinWindow} / ${r.summary.withContainment}`);
    for (const b of r.summary.distribution) fact(doc, `${b.label} min`, String(b.count));
    doc.moveDown(0.6);
    heading(doc, l.alertsAccounted!, 12);
    doc.text(fill(l.alertsSummary!, { ...r.accounting.totals }));
    doc.text(
      r.accounting.unhandled === 0 ? l.noneUnhandled! : fill(l.someUnhandled!, { n: r.accounting.unhandled }),
    );
    footer(doc, ctx);

    doc.addPage();
    heading(doc, l.drillsPerPlaybook!, 14);
    for (const d of r.drills) fact(doc, `${d.title} (${d.playbook})`, `${d.count} · ${time(d.last)}`);
    doc.moveDown(0.6);
    heading(doc, l.playbookSignOffs!, 14);
    for (const p of r.playbooks) {
      const status = standingText(l, p.status);
      const by = p.signOff ? ` · ${p.signOff.by}, ${p.signOff.role}, ${time(p.signOff.at)}` : '';
      fact(doc, `${p.title} (${p.id} v${p.version})`, `${status}${by}`);
    }
    footer(doc, ctx);

    doc.addPage();
    heading(doc, l.readinessFindings!, 14);
    if (r.findings.length === 0) doc.text(l.readinessNone!);
    for (const f of r.findings) {
      fact(
        doc,
        f.check,
        `${f.message} — ${formatDuration(f.openMs, ctx.locale)}${f.resolvedAt ? '' : ` (${l.stillOpen})`}`,
      );
    }
    doc.moveDown(0.6);
    heading(doc, l.silentSources!, 14);
    if (r.silences.length === 0) doc.text(l.noSilences!);
    for (const s of r.silences) fact(doc, time(s.at), s.title);
    footer(doc, ctx);
  });
}
