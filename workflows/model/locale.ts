// The languages Reflex writes in: notifications, pages and reports.
export const LOCALES = ['en', 'nl'] as const;
export type Locale = (typeof LOCALES)[number];
