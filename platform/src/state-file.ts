import fs from 'node:fs';
import type { z } from 'zod';
import { PipelineError } from './errors.ts';

/** A state file the pipeline wrote is there but unreadable: it is never silently replaced. */
export class StateFileError extends PipelineError {
  constructor(file: string, problem: string, hint: string) {
    super(`${file}: ${problem}`, { code: 'STATE_FILE_INVALID', hint });
  }
}

/**
 * Reads a JSON state file the pipeline wrote (the stack's ports, its credentials, the running
 * pipeline) and checks it against `schema`. Undefined when the file does not exist; a file that is not
 * JSON or not of the expected shape is a {@link StateFileError} saying what is wrong and what to do, so
 * that nothing is started on a half-written or hand-edited state, and nothing overwrites it unseen.
 */
export function readStateFile<S extends z.ZodType>(
  file: string,
  schema: S,
  hint: string,
): z.infer<S> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(file, `cannot be read (${(error as Error).message})`, hint);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(file, `is not valid JSON: ${(error as Error).message}`, hint);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new StateFileError(file, `is not what the pipeline wrote: ${problems.join('; ')}`, hint);
  }
  return result.data;
}
