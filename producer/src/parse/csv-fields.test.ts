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

  it("names an unterminated quote plainly, without csv-parse's line count (relative to the record)", () => {
    expect(parseFields('2023-05-30,REF003,2,"3\r\n2023-05-31,REF004,1,4', ',')).toEqual({
      ok: false,
      reason: 'unterminated quoted field: a quote opens a field and is never closed',
    });
  });
});
