import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateFileError } from '@sales-pipeline/platform';
import { loadOrCreateCredentials, readState } from './state.ts';

const home = () => fs.mkdtempSync(path.join(os.tmpdir(), 'stack-state-'));

describe('the stack state read back from disk', () => {
  it('is undefined when the stack was never started here', () => {
    expect(readState(home())).toBeUndefined();
  });

  it('names the file and the JSON error of a damaged stack.json', () => {
    const dir = home();
    fs.writeFileSync(path.join(dir, 'stack.json'), '{"ports": {"postgres": 5432,');
    expect(() => readState(dir)).toThrow(StateFileError);
    expect(() => readState(dir)).toThrow(/stack\.json: is not valid JSON/);
  });

  it('names what is wrong in a stack.json of another shape', () => {
    const dir = home();
    fs.writeFileSync(path.join(dir, 'stack.json'), JSON.stringify({ ports: { postgres: 'x' } }));
    expect(() => readState(dir)).toThrow(/ports\.postgres: .*number/);
  });

  it('never replaces damaged credentials with new passwords (the roles keep the old ones)', () => {
    const dir = home();
    const file = path.join(dir, 'credentials.json');
    fs.writeFileSync(file, '{"admin": "truncated');
    expect(() => loadOrCreateCredentials(dir)).toThrow(/credentials\.json: is not valid JSON/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"admin": "truncated');
  });

  it('creates the credentials once, then reads the same ones back', () => {
    const dir = home();
    const first = loadOrCreateCredentials(dir);
    expect(loadOrCreateCredentials(dir)).toEqual(first);
    expect(fs.statSync(path.join(dir, 'credentials.json')).mode & 0o777).toBe(0o600);
  });
});
