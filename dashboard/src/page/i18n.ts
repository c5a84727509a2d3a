import type { Locale } from '../shared/format.ts';
import { en } from './labels-en.ts';
import { fr } from './labels-fr.ts';

/** The page's own words, one catalogue per language: French (the default) and English. */
const LABELS: Record<Locale, Record<LabelKey, string>> = { fr, en };

export type LabelKey = keyof typeof fr;

export function label(key: LabelKey, locale: Locale): string {
  return LABELS[locale][key];
}
