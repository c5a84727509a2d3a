/**
 * The samples of a Prometheus text exposition (format 0.0.4, what prom-client serves on /metrics):
 * `name{label="value",…} value [timestamp]`, with `\\`, `\"` and `\n` escaped in label values; comment
 * (`# HELP`, `# TYPE`) and blank lines carry no sample. Pure.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const UNESCAPE: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** Reads `label="value",…` up to the closing brace (or the end); undefined when malformed. */
export function parseLabels(text: string): { labels: Record<string, string>; rest: string } | undefined {
  const labels: Record<string, string> = {};
  let rest = text.trimStart();
  while (rest.length > 0 && !rest.startsWith('}')) {
    const name = LABEL_NAME.exec(rest)?.[0];
    if (!name || rest[name.length] !== '=' || rest[name.length + 1] !== '"') return undefined;
    let value = '';
    let i = name.length + 2;
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] === '\\') {
        i += 1;
        value += UNESCAPE[rest[i] ?? ''] ?? `\\${rest[i] ?? ''}`;
      } else value += rest[i];
    }
    if (i >= rest.length) return undefined;
    labels[name] = value;
    rest = rest.slice(i + 1).trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
  }
  return { labels, rest: rest.startsWith('}') ? rest.slice(1) : rest };
}

/** One sample line; undefined for a comment, a blank or a malformed line. */
export function parseSampleLine(line: string): Sample | undefined {
  if (line.startsWith('#')) return undefined;
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest.slice(1));
    if (!parsed) return undefined;
    ({ labels, rest } = parsed);
  }
  const [valueText] = rest.trim().split(/\s+/);
  const value = Number(valueText);
  return valueText && Number.isFinite(value) ? { name, labels, value } : undefined;
}

export function parseSamples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => parseSampleLine(line) ?? []);
}

/**
 * Sums the samples of one counter, only those whose labels match `filter` (written as in the
 * exposition: `kind="sale"`) when one is given; undefined when the text has no such sample.
 */
export function sumCounter(text: string, name: string, filter?: string): number | undefined {
  const wanted = filter ? (parseLabels(filter)?.labels ?? {}) : {};
  let sum: number | undefined;
  for (const sample of parseSamples(text)) {
    if (sample.name !== name) continue;
    if (!Object.entries(wanted).every(([key, value]) => sample.labels[key] === value)) continue;
    sum = (sum ?? 0) + sample.value;
  }
  return sum;
}
