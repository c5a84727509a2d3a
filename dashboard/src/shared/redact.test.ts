import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.ts';

describe('redactSecrets', () => {
  it('hides URL passwords, key=value secrets and Slack tokens', () => {
    expect(redactSecrets('connect postgres://sales_reader:s3cr3t@127.0.0.1:5432/sales failed')).toBe(
      'connect postgres://sales_reader:***@127.0.0.1:5432/sales failed',
    );
    expect(redactSecrets('password=hunter2 user=x')).toBe('password=*** user=x');
    expect(redactSecrets('token: "abc def"')).toBe('token: ***');
    expect(redactSecrets('bad xoxb-123-456-abc')).toBe('bad xox?-***');
  });

  it('leaves ordinary messages as they are', () => {
    const message = 'connect ECONNREFUSED 127.0.0.1:5432; see http://127.0.0.1:8083/connectors';
    expect(redactSecrets(message)).toBe(message);
  });
});
