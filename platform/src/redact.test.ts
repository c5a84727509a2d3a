import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.ts';

describe('redactUrl', () => {
  it('hides the password of a connection URL', () => {
    expect(redactUrl('postgres://sales_app:s3cret@127.0.0.1:5432/sales')).toBe(
      'postgres://sales_app:***@127.0.0.1:5432/sales',
    );
  });

  it('leaves a URL without password and a non-URL unchanged', () => {
    expect(redactUrl('postgres://sales_app@127.0.0.1:5432/sales')).toBe(
      'postgres://sales_app@127.0.0.1:5432/sales',
    );
    expect(redactUrl('127.0.0.1:9092')).toBe('127.0.0.1:9092');
  });
});
