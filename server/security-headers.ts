// The headers every answer carries (helmet): a Content-Security-Policy that allows only what the pages
// use — their own inline stylesheets, by hash; no script, no image, no frame of anyone else, forms
// only to Reflex — framing refused (X-Frame-Options and frame-ancestors), nosniff, no referrer.
import { createHash } from 'node:crypto';
import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { BOARD_TEMPLATES } from './pages/board-pages';
import { APPROVAL_TEMPLATES } from './pages/approval-pages';
import { MAILBOX_TEMPLATES } from './routes/mailbox';

/** The CSP hash of every inline `<style>` in the page templates (which hold no template tags). */
export function styleHashes(templates: readonly string[]): string[] {
  const hashes = templates.flatMap((t) =>
    [...t.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => {
      if (m[1]!.includes('{{')) throw new Error('a page stylesheet must not hold template tags');
      return `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`;
    }),
  );
  return [...new Set(hashes)];
}

export function securityHeaders(secure: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: styleHashes([...BOARD_TEMPLATES, ...APPROVAL_TEMPLATES, ...MAILBOX_TEMPLATES]),
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        // The demo mailbox shows an HTML e-mail in a sandboxed frame of its own.
        frameSrc: ["'self'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Only where Reflex is reached over HTTPS: HSTS on plain http would only confuse.
    strictTransportSecurity: secure ? { maxAge: 31_536_000 } : false,
    crossOriginEmbedderPolicy: false,
  });
}
