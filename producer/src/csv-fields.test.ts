import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseFields } from './csv-fields.ts';

describe('parseFields', () => {
  it.each([
    ['2023-05-27,REF001,5,1', ','],
    ['a;b;;d', ';'],
    [',', ','],
    ['Produit A,REF001,"1 234,50",3', ','],
    ['"Deux ""mots""",x', ','],
    ['"a\nb",c', ','],
  ])('gives what csv-parse gives for %j', (text, delimiter) => {
    const expected = (
      parse(text, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][]
    )[0];
    expect(parseFields(text, delimiter)).toEqual({ ok: true, fields: expected });
  });
});
