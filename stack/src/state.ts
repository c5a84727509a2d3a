import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StackCredentials } from './types.ts';

/** Ports chosen on the first `up` and reused by later ones while they stay free. */
export interface StackPorts {
  postgres: number;
  kafka: number;
  kafkaController: number;
  connect: number;
}

/** What `<home>/stack.json` records about the native stack. */
export interface StackState {
  ports: StackPorts;
  /** KRaft cluster id, fixed when the broker's storage was formatted. */
  kafkaClusterId?: string;
}

const stateFile = (home: string) => path.join(home, 'stack.json');
const credentialsFile = (home: string) => path.join(home, 'credentials.json');

export function readState(home: string): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(home), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function writeState(home: string, state: StackState): void {
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(stateFile(home), `${JSON.stringify(state, null, 2)}\n`);
}

function newPassword(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/**
 * The database roles' passwords for this stack: generated on first use, kept in
 * `<home>/credentials.json` readable by its owner only. They are never printed by `status` and never
 * logged; `stack env` prints them for a shell on request.
 */
export function loadOrCreateCredentials(home: string): StackCredentials {
  const file = credentialsFile(home);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackCredentials;
  } catch {
    const credentials: StackCredentials = {
      admin: newPassword(),
      app: newPassword(),
      reader: newPassword(),
      cdc: newPassword(),
    };
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return credentials;
  }
}
