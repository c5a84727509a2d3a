import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '@sales-pipeline/platform';
import { isAmount } from './money.ts';

/**
 * The milestone rules; a rules file (JSON) overrides any of them. Unknown keys are refused: a misspelt
 * rule would otherwise be ignored without a word.
 */
export const rulesSchema = z.strictObject({
  /** How steps follow each other: `1-2-5` (1 k, 2 k, 5 k, 10 k …; default) or `multiples` (every step). */
  stepSeries: z.enum(['1-2-5', 'multiples']).default('1-2-5'),
  /** Cumulative revenue: the first step, in euros (0 disables); the next ones follow `stepSeries`. */
  revenueStepEuros: z.number().int().min(0).default(1000),
  /** A product's cumulative units: the first step (0 disables); the next ones follow `stepSeries`. */
  productUnitsStep: z.number().int().min(0).default(25),
  /** A single sale of at least this many euros, cents allowed (0 disables). */
  bigSaleEuros: z
    .number()
    .min(0)
    .refine(isAmount, { message: 'must be euros with at most two decimals, e.g. 500 or 499.90' })
    .default(500),
  /** A store's new daily revenue record, after its first day. */
  storeBestDay: z.boolean().default(true),
});
export type MilestoneRules = z.infer<typeof rulesSchema>;

/** The default rules, or those of `file` (MILESTONE_RULES_FILE). Any problem is a {@link ConfigError}. */
export function loadMilestoneRules(file: string | undefined): MilestoneRules {
  if (file === undefined) return rulesSchema.parse({});
  const where = `MILESTONE_RULES_FILE (${file})`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `${where}: cannot be read (${(error as Error).message}); point it to a JSON rules file, or unset it for the default rules`,
    ]);
  }
  return parseMilestoneRules(text, where);
}

/** Rules from the text of a rules file. Pure; `where` names the file in errors. */
export function parseMilestoneRules(text: string, where: string): MilestoneRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${where}: is not valid JSON: ${(error as Error).message}`]);
  }
  const result = rulesSchema.safeParse(json);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys')
        return `${where}: ${issue.message}; the rules are ${Object.keys(rulesSchema.shape).join(', ')}`;
      return `${where}: ${issue.path.join('.') || '(the file)'}: ${issue.message}`;
    }),
  );
}
