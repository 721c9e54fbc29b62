// Which kind of attack an alert is (its Reflex type, what playbooks route on), and why: a type the
// sender states (`reflex_type`), else the MITRE ATT&CK techniques the sender already carries, else the
// words of its title and rule name (English and Dutch), else a slug of the title. A brute force or
// password spray whose words say it succeeded is the successful kind.

/** The type, and the reason in words (`reflex alerts test` shows it). */
export interface Classified {
  type: string;
  reason: string;
}

/** Techniques by id, sub-techniques before their parent (`T1110.003` before `T1110`). */
const TECHNIQUES: ReadonlyArray<[string, string, string]> = [
  ['T1110.003', 'password-spray', 'password spraying'],
  ['T1110.004', 'brute-force', 'credential stuffing'],
  ['T1110', 'brute-force', 'brute force'],
  ['T1078.004', 'risky-sign-in', 'valid cloud accounts'],
  ['T1078', 'risky-sign-in', 'valid accounts'],
  ['T1114.003', 'inbox-rule', 'e-mail forwarding rule'],
  ['T1114', 'inbox-rule', 'e-mail collection'],
  ['T1564.008', 'inbox-rule', 'e-mail hiding rules'],
  ['T1528', 'oauth-consent', 'steal application access token'],
  ['T1550.001', 'oauth-consent', 'application access token'],
  ['T1098.005', 'account-manipulation', 'device registration'],
  ['T1098', 'account-manipulation', 'account manipulation'],
  ['T1556.006', 'account-manipulation', 'multi-factor authentication modification'],
  ['T1530', 'mass-download', 'data from cloud storage'],
  ['T1213.002', 'mass-download', 'data from SharePoint'],
  ['T1213', 'mass-download', 'data from information repositories'],
  ['T1567', 'mass-export', 'exfiltration over web service'],
  ['T1048', 'mass-export', 'exfiltration over alternative protocol'],
  ['T1486', 'ransomware', 'data encrypted for impact'],
  ['T1552', 'leaked-secret', 'unsecured credentials'],
];

/** One pattern, or several that must all be found (each simple enough to be checked for backtracking). */
type Words = RegExp | readonly RegExp[];

/** Words that say what an alert is about, most specific first; English and Dutch. */
export const WORDS: ReadonlyArray<[Words, string]> = [
  [/password.?spray|wachtwoord.?spray/i, 'password-spray'],
  [/brute.?force|credential.?stuffing/i, 'brute-force'],
  [/(multiple|many|repeated) failed (logins?|sign-?ins?|logons?)/i, 'brute-force'],
  [/(multiple|many|repeated) (authentication|login|logon) failures/i, 'brute-force'],
  [/herhaald(e|elijk)? mislukte (aanmelding|inlog)|veel mislukte (aanmelding|inlog)/i, 'brute-force'],
  [[/failures|failed|mislukte/i, /followed by|gevolgd door/i], 'brute-force'],
  [
    /impossible.?travel|unlikely.?travel|atypical.?travel|unfamiliar.?(sign|features)|onmogelijke reis/i,
    'impossible-travel',
  ],
  [/mass.?(download|export)|bulk.?(download|export)|exfiltrat|filedownloaded|many files/i, 'mass-export'],
  [/massaal (ge)?(download|[eë]xporte)|(klant|contact)records? (ge[eë]xporteerd|gedownload)/i, 'mass-export'],
  // "exported 4,812 contact records", "3.120 klantrecords geëxporteerd"
  [
    [
      /export(ed|ing)?|download(ed|ing)?|ge[eë]xporteerd|gedownload/i,
      /\d[\d.,]{2,}/,
      /records|contacts|files|rows|customers|documents|klanten|contacten|bestanden/i,
    ],
    'mass-export',
  ],
  [
    /ransomware|gijzelsoftware|encrypt(ed|ion) files|files? encrypted|mass file (rename|modification)|bestanden (zijn )?versleuteld/i,
    'ransomware',
  ],
  [/inbox.?rule|forwarding rule|new-inboxrule|mail forward(ing)? to (an )?(external|outside)/i, 'inbox-rule'],
  [/doorstuurregel|inboxregel|postvakregel|doorsturen naar (een )?extern/i, 'inbox-rule'],
  [/consent|oauth|illicit grant|toestemming (gegeven|verleend)|app.?toestemming/i, 'oauth-consent'],
  [
    /leaked.?(secret|credential|key)|secret.?(exposed|leak)|credential.?(exposed|leak)|gelekte? (geheim|sleutel|wachtwoord)/i,
    'leaked-secret',
  ],
  [
    /risky.?(sign|user)|suspicious.?sign|anonymous ip|malicious ip|token.?(theft|replay)|verdachte aanmelding|riskante aanmelding/i,
    'risky-sign-in',
  ],
];

/** What of `word` the words found, or undefined. */
function found(words: Words, word: string): string | undefined {
  const all = words instanceof RegExp ? [words] : words;
  const matches = all.map((p) => p.exec(word)?.[0]);
  return matches.every(Boolean) ? matches.join(' … ') : undefined;
}

const SUCCESS = /success|succeeded|successful|geslaagd|gelukt|succesvol/i;

/** Technique ids as senders write them (`T1110.003`, `t1110`, `T1110 - Brute Force`), each once. */
export function techniqueIds(values: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6) return;
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\bT\d{4}(?:\.\d{3})?\b/gi)) found.add(m[0].toUpperCase());
    } else if (Array.isArray(v)) v.slice(0, 50).forEach((x) => visit(x, depth + 1));
    else if (v && typeof v === 'object')
      Object.values(v)
        .slice(0, 50)
        .forEach((x) => visit(x, depth + 1));
  };
  visit(values, 0);
  return [...found];
}

function byTechnique(ids: readonly string[]): [string, string, string] | undefined {
  for (const [id, type, name] of TECHNIQUES) {
    // A parent id also stands for its sub-techniques that have no entry of their own.
    const hit = ids.find((t) => t === id || (!id.includes('.') && t.startsWith(`${id}.`)));
    if (hit) return [hit, type, name];
  }
  return undefined;
}

/** A valid explicit type: lowercase letters, digits, dots and dashes. */
export function explicitType(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z0-9][a-z0-9._-]{0,80}$/.test(value) ? value : undefined;
}

export function classify(input: {
  explicit?: unknown[];
  techniques?: unknown;
  words: unknown[];
}): Classified {
  for (const value of input.explicit ?? []) {
    const stated = explicitType(value);
    if (stated) return { type: stated, reason: `the sender says reflex_type ${stated}` };
  }
  const words = input.words.filter((w): w is string => typeof w === 'string' && w.length > 0);
  const technique = byTechnique(techniqueIds(input.techniques));
  if (technique) {
    const [id, type, name] = technique;
    if ((type === 'brute-force' || type === 'password-spray') && words.some((w) => SUCCESS.test(w))) {
      return {
        type: 'password-spray-success',
        reason: `MITRE ${id} (${name}), and the words say it succeeded`,
      };
    }
    return { type, reason: `MITRE ${id} (${name})` };
  }
  for (const word of words) {
    for (const [pattern, type] of WORDS) {
      const match = found(pattern, word);
      if (!match) continue;
      const said = `the words “${match}” in “${word.slice(0, 120)}”`;
      // A guessing attack whose words say it got in is the successful kind.
      if ((type === 'brute-force' || type === 'password-spray') && SUCCESS.test(word)) {
        return { type: 'password-spray-success', reason: `${said}, which say it succeeded` };
      }
      return { type, reason: said };
    }
  }
  const slug = (words[0] ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return { type: slug || 'alert', reason: 'no technique or known words: a slug of the title' };
}
