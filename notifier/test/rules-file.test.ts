import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test-support/cli-processes.ts';

/** `sales-pipeline notify` with MILESTONE_RULES_FILE pointing at `file`; nothing listens on these addresses. */
function notifyWithRules(file: string) {
  return runCli(
    ['notify'],
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_BROKERS: '127.0.0.1:9',
      DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:9/none',
      MILESTONE_RULES_FILE: file,
    },
    30_000,
  );
}

function rulesFile(content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sp-rules-')), 'milestone-rules.json');
  fs.writeFileSync(file, content);
  return file;
}

function expectConfigError(result: { code: number | null; stderr: string }, ...needles: string[]) {
  expect(result.code, result.stderr).toBe(2);
  for (const needle of needles) expect(result.stderr).toContain(needle);
  expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
}

describe('notify with a wrong MILESTONE_RULES_FILE: a configuration error (exit 2), not a crash', () => {
  it('names the variable and the file when the file is missing', async () => {
    const file = path.join(os.tmpdir(), `sp-no-such-rules-${process.pid}.json`);
    const result = await notifyWithRules(file);
    expectConfigError(result, `MILESTONE_RULES_FILE (${file})`, 'cannot be read', 'ENOENT');
  });

  it('says where the JSON is broken', async () => {
    const file = rulesFile('{\n  "revenueStepEuros": 1000,\n  "bigSaleEuros": 500,\n}\n');
    const result = await notifyWithRules(file);
    expectConfigError(result, `MILESTONE_RULES_FILE (${file})`, 'is not valid JSON', 'line 4 column 1');
  });

  it('lists every rule of the wrong type and every unknown rule', async () => {
    const file = rulesFile(
      JSON.stringify({ revenueStepEuros: '1000', productUnitStep: 25, bigSaleEuros: 499.999 }),
    );
    const result = await notifyWithRules(file);
    expectConfigError(
      result,
      `MILESTONE_RULES_FILE (${file})`,
      'revenueStepEuros: Invalid input: expected number, received string',
      'Unrecognized key: "productUnitStep"; the rules are stepSeries, revenueStepEuros',
      'bigSaleEuros: must be euros with at most two decimals',
    );
  });
});
