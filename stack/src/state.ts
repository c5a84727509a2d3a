import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readStateFile } from '@sales-pipeline/platform';
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
  /**
   * A secured stack (`stack up --secure`): the broker's client listener is SASL_SSL (SCRAM-SHA-512) with
   * certificates of the stack's own CA. Fixed at the first start.
   */
  secure?: boolean;
}

const stateFile = (home: string) => path.join(home, 'stack.json');
const credentialsFile = (home: string) => path.join(home, 'credentials.json');

const port = z.number().int().min(1).max(65_535);
const stateSchema = z.object({
  ports: z.object({ postgres: port, kafka: port, kafkaController: port, connect: port }),
  kafkaClusterId: z.string().min(1).optional(),
  secure: z.boolean().optional(),
});
const password = z.string().min(12);
const credentialsSchema = z.object({
  admin: password,
  app: password,
  reader: password,
  cdc: password,
  kafkaAdmin: password.optional(),
  kafkaClient: password.optional(),
  connect: password.optional(),
});

export function readState(home: string): StackState | undefined {
  return readStateFile(
    stateFile(home),
    stateSchema,
    `Stop the stack's processes (sales-pipeline stack down), then delete the file: the next stack up picks ports again.`,
  );
}

export function writeState(home: string, state: StackState): void {
  fs.mkdirSync(home, { recursive: true });
  // Whole or not at all: a reader (status during stack up) never sees half of it.
  const file = stateFile(home);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
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
  // An unreadable file is an error, never replaced: new passwords would lock the roles out of a database
  // that keeps the old ones.
  const existing = readStateFile(
    file,
    credentialsSchema,
    `Restore it from a backup, or start from scratch: sales-pipeline down --purge (deletes ${home}).`,
  );
  if (existing) {
    if (existing.kafkaAdmin && existing.kafkaClient && existing.connect) return existing;
    // A stack from before the Kafka users or Connect's login: they are added, the other passwords stay.
    const completed = {
      ...existing,
      kafkaAdmin: existing.kafkaAdmin ?? newPassword(),
      kafkaClient: existing.kafkaClient ?? newPassword(),
      connect: existing.connect ?? newPassword(),
    };
    fs.writeFileSync(file, `${JSON.stringify(completed, null, 2)}\n`, { mode: 0o600 });
    return completed;
  }
  const credentials: StackCredentials = {
    admin: newPassword(),
    app: newPassword(),
    reader: newPassword(),
    cdc: newPassword(),
    kafkaAdmin: newPassword(),
    kafkaClient: newPassword(),
    connect: newPassword(),
  };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
