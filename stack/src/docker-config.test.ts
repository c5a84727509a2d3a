// The Docker path, checked without a Docker engine (none runs on our machines or in CI): the compose
// file against the Compose specification (dclint), image tags across docker-compose.yml, the
// Dockerfile and stack/src/images.ts, compose variables against .env.example, Prometheus targets
// against the ports the services serve, and the Dockerfile's runtime stage against the workspaces.
// Each check is a small pure function returning its problems, one message each naming the file and
// the mismatch; the tests at the end show that each one catches a mismatch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { WORKER_MALLOC_ENV, WORKER_NODE_FLAGS } from '@sales-pipeline/platform/worker-runtime';
import { REPO_ROOT } from './config.ts';
import { IMAGES } from './images.ts';
import { MIGRATIONS_DIR } from './migrate.ts';

const COMPOSE_FILE = 'docker-compose.yml';
const SECURE_FILE = 'docker-compose.secure.yml';
const DOCKERFILE = 'Dockerfile';
const ENV_EXAMPLE = '.env.example';
const PROMETHEUS_FILE = 'docker/prometheus/prometheus.yml';
const IMAGES_FILE = 'stack/src/images.ts';

// --- Compose specification (dclint) ---------------------------------------------------------------

/**
 * dclint's settings: the Compose-spec schema validation always runs and cannot be turned off; the
 * rules kept are raised to errors. The ordering rules (keys, services, depends_on, ports in
 * alphabetical or canonical order) are off: this file is ordered by start order and by topic.
 */
export const DCLINT_CONFIG = {
  rules: {
    'no-quotes-in-volumes': 2,
    'require-project-name-field': 2,
    'require-quotes-in-ports': 2,
    'service-dependencies-alphabetical-order': 0,
    'service-keys-order': 0,
    'service-ports-alphabetical-order': 0,
    'services-alphabetical-order': 0,
    'top-level-properties-order': 0,
  } as Record<string, 0 | 1 | 2>,
  quiet: false,
  debug: false,
  exclude: [] as string[],
};

/** What dclint's lintFiles returns (its declaration files do not resolve under NodeNext). */
interface LintResult {
  filePath: string;
  messages: Array<{ rule: string; type: string; message: string; line: number; column: number }>;
}

/** dclint's problems with a compose file: invalid YAML, a Compose-spec violation, a rule broken. */
export function lintComposeFile(file: string): string[] {
  const results: LintResult[] = new DCLinter(DCLINT_CONFIG).lintFiles([file], false);
  return results.flatMap((result) =>
    result.messages.map(
      (m) =>
        `${path.relative(REPO_ROOT, result.filePath)}:${m.line}:${m.column}: ${m.type} ${m.rule}: ${m.message}`,
    ),
  );
}

// --- Parsed files -------------------------------------------------------------------------------

type PortEntry = string | number | { target: string | number; published?: string | number };

export interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: PortEntry[];
  expose?: Array<string | number>;
  environment?: Record<string, unknown> | string[];
  command?: unknown;
  entrypoint?: unknown;
  healthcheck?: { test?: unknown };
  secrets?: unknown[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { environment?: string; file?: string }>;
}

export function parseCompose(text: string): ComposeFile {
  // merge: the services take their settings from x-* anchors through `<<`.
  return parse(text, { merge: true }) as ComposeFile;
}

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** The stage's `AS` name, else its index. */
  name: string;
  /** What it starts FROM: an image, or an earlier stage's name. */
  from: string;
  line: number;
  instructions: Instruction[];
}

/** The stages of a Dockerfile: continuation lines joined, comments and parser directives dropped. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let current = lines[i]!.trim();
    if (current === '' || current.startsWith('#')) continue;
    while (current.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim();
      current = current.slice(0, -1).trimEnd() + (next.startsWith('#') ? '' : ' ' + next);
    }
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(current) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({
        name: from?.[2] ?? String(stages.length),
        from: from?.[1] ?? '',
        line,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args, line });
    }
  }
  return stages;
}

/** `NAME=value` lines of an env file. */
export function envFileNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

// --- Image tags -------------------------------------------------------------------------------------

export function splitImage(reference: string): { repository: string; tag: string | undefined } {
  const base = reference.split('@')[0]!;
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/')
    ? { repository: base.slice(0, colon), tag: base.slice(colon + 1) }
    : { repository: base, tag: undefined };
}

export interface ImageUse {
  /** Where it appears, e.g. `docker-compose.yml service postgres`. */
  where: string;
  image: string;
}

/** Every image the three files name: compose services, Dockerfile FROM (not FROM a stage), IMAGES. */
export function imageUses(compose: ComposeFile, stages: Stage[], images: Record<string, string>): ImageUse[] {
  const stageNames = new Set(stages.map((s) => s.name));
  return [
    ...Object.entries(compose.services)
      .filter(([, s]) => s.image !== undefined && s.build === undefined)
      .map(([name, s]) => ({ where: `${COMPOSE_FILE} service ${name}`, image: s.image! })),
    ...stages
      .filter((s) => !stageNames.has(s.from) && s.from !== 'scratch')
      .map((s) => ({ where: `${DOCKERFILE} stage ${s.name} (line ${s.line})`, image: s.from })),
    ...Object.entries(images).map(([key, image]) => ({ where: `${IMAGES_FILE} IMAGES.${key}`, image })),
  ];
}

/**
 * Each image is pinned (a tag other than `latest`), one repository has one tag wherever it appears,
 * and every image of IMAGES is one that docker-compose.yml runs.
 */
export function checkImageTags(uses: ImageUse[]): string[] {
  const problems: string[] = [];
  const byRepository = new Map<string, ImageUse[]>();
  for (const use of uses) {
    const { repository, tag } = splitImage(use.image);
    if (tag === undefined || tag === 'latest')
      problems.push(`${use.where}: image ${use.image} is not pinned to a version tag`);
    byRepository.set(repository, [...(byRepository.get(repository) ?? []), use]);
  }
  for (const [repository, group] of byRepository) {
    if (new Set(group.map((u) => u.image)).size > 1)
      problems.push(
        `image ${repository} has different tags: ${group.map((u) => `${u.where} → ${u.image}`).join('; ')}`,
      );
    const inImages = group.filter((u) => u.where.startsWith(IMAGES_FILE));
    if (inImages.length > 0 && !group.some((u) => u.where.startsWith(COMPOSE_FILE)))
      problems.push(`${inImages[0]!.where}: ${repository} is not run by any service in ${COMPOSE_FILE}`);
  }
  return problems;
}

/** The Node base image runs the Node major the code is typed and tested for (@types/node). */
export function checkNodeMajor(uses: ImageUse[], typesNodeRange: string): string[] {
  const wanted = /\d+/.exec(typesNodeRange)?.[0];
  return uses
    .filter((u) => splitImage(u.image).repository === 'node')
    .filter((u) => /^\d+/.exec(splitImage(u.image).tag ?? '')?.[0] !== wanted)
    .map(
      (u) =>
        `${u.where}: base image ${u.image} is not Node ${wanted} (package.json: @types/node ${typesNodeRange})`,
    );
}

// --- Variables -----------------------------------------------------------------------------------

/** Names of the variables a compose value interpolates: ${VAR}, ${VAR:-default}, ${VAR:?err}, $VAR, not $$. */
export function composeVariables(value: unknown, names = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const name = m[1] ?? m[2];
      if (name) names.add(name);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) composeVariables(item, names);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) composeVariables(item, names);
  }
  return names;
}

/** Every variable the compose file reads is documented in .env.example, and nothing else is. */
export function checkEnvExample(read: Set<string>, listed: Set<string>): string[] {
  return [
    ...[...read]
      .filter((name) => !listed.has(name))
      .map((name) => `${COMPOSE_FILE} reads \${${name}}, which ${ENV_EXAMPLE} does not list`),
    ...[...listed]
      .filter((name) => !read.has(name) && !/^(COMPOSE|DOCKER)_/.test(name))
      .map((name) => `${ENV_EXAMPLE} lists ${name}, which ${COMPOSE_FILE} never reads`),
  ];
}

// --- Prometheus targets -------------------------------------------------------------------------

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(
      env.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]),
    );
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function portNumbers(spec: string | number): number[] {
  const [from = NaN, to = from] = String(spec)
    .replace(/\/\w+$/, '')
    .split('-')
    .map(Number);
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** The ports a service's container listens on: `ports` (container side), `expose`, METRICS_PORT. */
export function servedPorts(service: ComposeService): Set<number> {
  const ports = new Set<number>();
  for (const entry of service.ports ?? []) {
    const target = typeof entry === 'object' ? entry.target : String(entry).split(':').at(-1)!;
    for (const port of portNumbers(target)) ports.add(port);
  }
  for (const entry of service.expose ?? []) for (const port of portNumbers(entry)) ports.add(port);
  const metricsPort = environmentOf(service).METRICS_PORT;
  if (metricsPort !== undefined) ports.add(Number(metricsPort));
  return ports;
}

interface PrometheusConfig {
  scrape_configs?: Array<{ job_name: string; static_configs?: Array<{ targets?: string[] }> }>;
}

/**
 * Each scrape target is `service:port` of a compose service that serves that port (localhost is
 * the Prometheus service itself), and a worker scraped on METRICS_PORT listens beyond loopback.
 */
export function checkPrometheusTargets(
  prometheus: PrometheusConfig,
  compose: ComposeFile,
  prometheusService = 'prometheus',
): string[] {
  const problems: string[] = [];
  for (const job of prometheus.scrape_configs ?? []) {
    for (const target of (job.static_configs ?? []).flatMap((c) => c.targets ?? [])) {
      const where = `${PROMETHEUS_FILE}: job ${job.job_name}, target ${target}`;
      const [host = '', port = ''] = target.split(':');
      const name = ['localhost', '127.0.0.1'].includes(host) ? prometheusService : host;
      const service = compose.services[name];
      if (!service) {
        problems.push(`${where}: ${COMPOSE_FILE} has no service ${name}`);
        continue;
      }
      const served = servedPorts(service);
      if (!served.has(Number(port))) {
        problems.push(
          `${where}: service ${name} serves ${[...served].join(', ') || 'no port'} in ${COMPOSE_FILE}, not ${port}`,
        );
        continue;
      }
      const env = environmentOf(service);
      if (env.METRICS_PORT === port && !['0.0.0.0', '::'].includes(env.METRICS_HOST ?? ''))
        problems.push(
          `${where}: service ${name} listens on ${env.METRICS_HOST ?? '127.0.0.1 (the default)'}, unreachable from ${prometheusService}: set METRICS_HOST: 0.0.0.0 in ${COMPOSE_FILE}`,
        );
    }
  }
  return problems;
}

// --- Dockerfile against the workspaces -------------------------------------------------------------

export interface BuildContext {
  /** Whether a path of the build context (relative to its root) is sent to the builder. */
  hasPath: (contextPath: string) => boolean;
  /** Whether a context path is a directory. */
  isDirectory: (contextPath: string) => boolean;
  /** The packages whose dist/ `npm run build` emits (tsconfig.build.json references). */
  buildPackages: string[];
}

/** What puts a path into a stage: the stage and the instruction, and for a COPY --from what put it there. */
export interface Provider {
  stage: string;
  instruction: Instruction;
  via?: Provider | undefined;
}

/** The instruction that made a path, following COPY --from back to the stage where it was made. */
export const origin = (p: Provider): Provider => (p.via ? origin(p.via) : p);

const covers = (dir: string, target: string) =>
  target === dir || target.startsWith(dir.replace(/\/$/, '') + '/');

function workdirOf(stages: Stage[], stage: Stage, upTo = stage.instructions.length): string {
  const parent = stages.find((s) => s.name === stage.from);
  let workdir = parent ? workdirOf(stages, parent) : '/';
  for (const ins of stage.instructions.slice(0, upTo))
    if (ins.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, ins.args);
  return workdir;
}

function copyTokens(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const tokens = args.split(/\s+/).filter(Boolean);
  const from = tokens.find((t) => t.startsWith('--from='))?.slice('--from='.length);
  const rest = tokens.filter((t) => !t.startsWith('--'));
  const list = rest[0]?.startsWith('[') ? (JSON.parse(rest.join(' ')) as string[]) : rest;
  return { from, sources: list.slice(0, -1), dest: list.at(-1) ?? '' };
}

/**
 * Which instruction of a stage (or of the stages it builds on) puts `target`, an absolute path,
 * there: a COPY from the build context (the path must be in the context, .dockerignore applied), a
 * COPY --from another stage that has it, or RUN `npm ci` (node_modules) / `npm run build` (each
 * built package's dist/, when its tsconfig.json and src/ are there before). Wildcards are not read.
 */
export function provider(
  stages: Stage[],
  stageName: string,
  target: string,
  context: BuildContext,
  upTo?: number,
): Provider | undefined {
  const stage = stages.find((s) => s.name === stageName);
  if (!stage) return undefined;
  const instructions = stage.instructions.slice(0, upTo);
  for (let i = instructions.length - 1; i >= 0; i--) {
    const ins = instructions[i]!;
    const workdir = workdirOf(stages, stage, i);
    const found = { stage: stage.name, instruction: ins };
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const { from, sources, dest } = copyTokens(ins.args);
      const destination = path.posix.resolve(workdir, dest);
      for (const source of sources) {
        const fromPath = from
          ? path.posix.resolve('/', source)
          : path.posix.normalize(source).replace(/\/$/, '');
        const isDir = from ? source.endsWith('/') || source === '.' : context.isDirectory(fromPath);
        let mapped: string | undefined;
        if (isDir && covers(destination, target))
          mapped = path.posix.join(fromPath, path.posix.relative(destination, target));
        const fileDest =
          dest.endsWith('/') || sources.length > 1
            ? path.posix.join(destination, path.posix.basename(source))
            : destination;
        if (!isDir && covers(fileDest, target)) mapped = fromPath;
        if (mapped === undefined) continue;
        const mappedPath = mapped.replace(/^\.\/?/, '') || '.';
        if (!from) {
          if (context.hasPath(mappedPath)) return found;
        } else {
          const via = provider(stages, from, mapped, context);
          if (via) return { ...found, via };
        }
      }
    } else if (ins.keyword === 'RUN') {
      if (/\bnpm (ci|install)\b/.test(ins.args) && covers(path.posix.join(workdir, 'node_modules'), target))
        return found;
      if (/\bnpm run build\b/.test(ins.args)) {
        for (const pkg of context.buildPackages) {
          const dist = path.posix.join(workdir, pkg, 'dist');
          const sources = ['tsconfig.json', 'src'].map((f) => path.posix.join(workdir, pkg, f));
          if (covers(dist, target) && sources.every((s) => provider(stages, stage.name, s, context, i)))
            return found;
        }
      }
    }
  }
  return stages.some((s) => s.name === stage.from)
    ? provider(stages, stage.from, target, context)
    : undefined;
}

export interface RuntimeNeeds {
  workspaces: string[];
  /** The command the image runs: package.json's bin. */
  bin: string;
  /** Other paths the code reads at run time, relative to the clone's root. */
  files: string[];
}

/**
 * The last stage (the image) holds, for every workspace, its package.json and its built dist/ but
 * not its src/; the root manifest, node_modules from `npm ci --omit=dev --ignore-scripts`, the bin
 * and the files read at run time; it runs as a user other than root, with `node <bin>` as entrypoint.
 */
export function checkDockerfileRuntime(
  stages: Stage[],
  context: BuildContext,
  needs: RuntimeNeeds,
): string[] {
  const runtime = stages.at(-1);
  if (!runtime) return [`${DOCKERFILE}: no stage`];
  const problems: string[] = [];
  const app = workdirOf(stages, runtime);
  const at = (p: string) => path.posix.join(app, p);
  const where = `${DOCKERFILE}: the runtime stage (${runtime.name})`;
  const required = [
    'package.json',
    'node_modules',
    needs.bin,
    ...needs.files,
    ...needs.workspaces.flatMap((ws) => [`${ws}/package.json`, `${ws}/dist`]),
  ];
  for (const p of required)
    if (!provider(stages, runtime.name, at(p), context))
      problems.push(
        `${where} lacks ${at(p)}: no COPY brings it (from the context or a stage that has or builds it)`,
      );
  for (const ws of needs.workspaces) {
    const source = provider(stages, runtime.name, at(`${ws}/src`), context);
    if (source)
      problems.push(
        `${where} holds ${at(`${ws}/src`)} (TypeScript source, line ${source.instruction.line}): copy only ${ws}/dist`,
      );
  }
  const copied = provider(stages, runtime.name, at('node_modules'), context);
  const install = copied && origin(copied);
  if (install && !/npm ci\b/.test(install.instruction.args))
    problems.push(`${where}: node_modules does not come from npm ci (line ${install.instruction.line})`);
  for (const flag of ['--omit=dev', '--ignore-scripts'])
    if (install && !install.instruction.args.includes(flag))
      problems.push(
        `${where}: node_modules comes from stage ${install.stage} line ${install.instruction.line}, without ${flag}`,
      );
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`${where} runs as root: add USER node`);
  const entrypoint = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args;
  const expected = JSON.stringify(['node', needs.bin]);
  if (!entrypoint || JSON.stringify(JSON.parse(entrypoint)) !== expected)
    problems.push(`${where}: ENTRYPOINT is ${entrypoint ?? 'missing'}, expected ${expected}`);
  return problems;
}

// --- The secured overlay --------------------------------------------------------------------------

/** The variables a compose file's secrets are read from (`secrets: x: environment: NAME`). */
export function secretVariables(compose: ComposeFile): Set<string> {
  return new Set(
    Object.values(compose.secrets ?? {}).flatMap((secret) =>
      secret.environment ? [secret.environment] : [],
    ),
  );
}

/**
 * What the secured overlay must hold over the main file: every service of the main file that talks to
 * Kafka (KAFKA_BROKERS) does so over SASL_SSL with SCRAM, the CA and its password from a file; every database
 * URL asks for verify-full; Redpanda turns SASL and TLS on, PostgreSQL TLS and a TLS-only pg_hba, Connect its
 * REST login; and no password variable is expanded on a command line (command, entrypoint, healthcheck).
 */
export function checkSecureOverlay(base: ComposeFile, overlay: ComposeFile): string[] {
  const problems: string[] = [];
  const where = (service: string) => `${SECURE_FILE} service ${service}`;
  for (const [name, service] of Object.entries(base.services)) {
    if (!('KAFKA_BROKERS' in environmentOf(service))) continue;
    const env = environmentOf(overlay.services[name] ?? {});
    const expected = {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SSL_CA_FILE: '/certs/ca.crt',
    };
    for (const [key, value] of Object.entries(expected))
      if (env[key] !== value) problems.push(`${where(name)}: ${key} is ${env[key] ?? 'unset'}, not ${value}`);
    if (!env.KAFKA_SASL_PASSWORD_FILE) problems.push(`${where(name)}: no KAFKA_SASL_PASSWORD_FILE`);
  }
  for (const [name, service] of Object.entries({ ...base.services, ...overlay.services })) {
    const env = {
      ...environmentOf(base.services[name] ?? {}),
      ...environmentOf(overlay.services[name] ?? {}),
    };
    for (const [key, value] of Object.entries(env))
      if (/^DATABASE_(ADMIN_)?URL$/.test(key) && !String(value).includes('sslmode=verify-full'))
        problems.push(`${where(name)}: ${key} does not ask for sslmode=verify-full`);
    const argv = JSON.stringify([service.command, service.entrypoint, service.healthcheck?.test]);
    const expanded = /\$\{?([A-Z_]*(PASSWORD|TOKEN|SECRET)[A-Z_]*)/.exec(argv);
    if (expanded) problems.push(`${where(name)}: \${${expanded[1]}} on a command line (use a secret file)`);
  }
  const argvOf = (name: string) => JSON.stringify(overlay.services[name]?.command ?? '');
  for (const [service, needle] of [
    ['redpanda', 'redpanda.enable_sasl=true'],
    ['redpanda', 'redpanda.kafka_api_tls='],
    ['postgres', 'ssl=on'],
    ['postgres', 'hba_file='],
  ] as const)
    if (!argvOf(service).includes(needle))
      problems.push(`${where(service)}: its command does not set ${needle}`);
  if (!environmentOf(overlay.services.connect ?? {}).CONNECT_REST_EXTENSION_CLASSES?.includes('BasicAuth'))
    problems.push(`${where('connect')}: the REST API has no basic-auth extension`);
  return problems;
}

// --- The repository's files ---------------------------------------------------------------------

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');

/** The build context: the clone, less what .dockerignore leaves out (a path is out if it or a parent is). */
export function repositoryContext(dockerignore: string, buildPackages: string[]): BuildContext {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const ignored = (p: string) => {
    let out = false;
    const prefixes = p.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    for (const pattern of patterns) {
      const negated = pattern.startsWith('!');
      const glob = pattern.replace(/^!/, '').replace(/^\/|\/$/g, '');
      if (prefixes.some((prefix) => path.matchesGlob(prefix, glob))) out = !negated;
    }
    return out;
  };
  return {
    hasPath: (p) => fs.existsSync(path.join(REPO_ROOT, p)) && !ignored(p),
    isDirectory: (p) =>
      fs.statSync(path.join(REPO_ROOT, p), { throwIfNoEntry: false })?.isDirectory() ?? false,
    buildPackages,
  };
}

function repository() {
  const packageJson = JSON.parse(read('package.json')) as {
    workspaces: string[];
    bin: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const tsconfigBuild = JSON.parse(read('tsconfig.build.json')) as { references: Array<{ path: string }> };
  const buildPackages = tsconfigBuild.references.map((r) => path.posix.normalize(r.path));
  return {
    packageJson,
    compose: parseCompose(read(COMPOSE_FILE)),
    stages: parseDockerfile(read(DOCKERFILE)),
    context: repositoryContext(read('.dockerignore'), buildPackages),
    needs: {
      workspaces: packageJson.workspaces,
      bin: Object.values(packageJson.bin)[0]!,
      // stack/src/migrate.ts (MIGRATIONS_DIR) and stack/src/connector.ts read these from the clone's root.
      files: [path.relative(REPO_ROOT, MIGRATIONS_DIR).split(path.sep).join('/'), 'connectors'],
    },
  };
}

describe('the Docker path, checked without a Docker engine', () => {
  const repo = repository();

  it(`${COMPOSE_FILE} follows the Compose specification (dclint: schema and rules)`, () => {
    expect(lintComposeFile(path.join(REPO_ROOT, COMPOSE_FILE))).toEqual([]);
  });

  it(`image tags agree across ${COMPOSE_FILE}, ${DOCKERFILE} and ${IMAGES_FILE}`, () => {
    const uses = imageUses(repo.compose, repo.stages, IMAGES);
    expect(uses.map((u) => u.where)).toContain(`${IMAGES_FILE} IMAGES.postgres`);
    expect(checkImageTags(uses)).toEqual([]);
    expect(checkNodeMajor(uses, repo.packageJson.devDependencies['@types/node']!)).toEqual([]);
  });

  it(`every variable ${COMPOSE_FILE} and ${SECURE_FILE} read is in ${ENV_EXAMPLE}`, () => {
    const variables = composeVariables(repo.compose);
    expect(variables.size).toBeGreaterThan(0);
    const secure = parseCompose(read(SECURE_FILE));
    for (const name of [...composeVariables(secure), ...secretVariables(secure)]) variables.add(name);
    expect(secretVariables(secure)).toEqual(
      new Set(['KAFKA_ADMIN_PASSWORD', 'KAFKA_SALES_PASSWORD', 'CONNECT_PASSWORD']),
    );
    expect(checkEnvExample(variables, envFileNames(read(ENV_EXAMPLE)))).toEqual([]);
  });

  it(`${SECURE_FILE} follows the Compose specification, pins its images, and secures every client and server`, () => {
    expect(lintComposeFile(path.join(REPO_ROOT, SECURE_FILE))).toEqual([]);
    const secure = parseCompose(read(SECURE_FILE));
    const uses = [...imageUses(repo.compose, repo.stages, IMAGES), ...imageUses(secure, [], {})];
    expect(checkImageTags(uses)).toEqual([]);
    expect(checkSecureOverlay(repo.compose, secure)).toEqual([]);
  });

  it(`every Prometheus target (${PROMETHEUS_FILE}) is a port a compose service serves`, () => {
    const prometheus = parse(read(PROMETHEUS_FILE)) as PrometheusConfig;
    expect(checkPrometheusTargets(prometheus, repo.compose)).toEqual([]);
  });

  it(`the ${DOCKERFILE}'s runtime stage gives the workers the heap bounds the supervisor gives them`, () => {
    const runtime = repo.stages.at(-1)!;
    const env = runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    const nodeOptions = env.map((args) => /^NODE_OPTIONS="?([^"]*)"?$/.exec(args)?.[1]).find(Boolean);
    expect(nodeOptions?.split(/\s+/)).toEqual([...WORKER_NODE_FLAGS]);
    const malloc = Object.fromEntries(
      env.flatMap((args) => {
        const m = /^(MALLOC_\w+)=(\S+)$/.exec(args);
        return m ? [[m[1], m[2]]] : [];
      }),
    );
    expect(malloc).toEqual({ ...WORKER_MALLOC_ENV });
  });

  it(`the ${DOCKERFILE}'s runtime stage has every workspace's dist/ and what runs, from production dependencies`, () => {
    expect(repo.needs.workspaces.length).toBeGreaterThan(0);
    expect(checkDockerfileRuntime(repo.stages, repo.context, repo.needs)).toEqual([]);
  });
});

// --- The checks catch mismatches -----------------------------------------------------------------

describe('the Docker checks report a mismatch', () => {
  const compose = parseCompose(`
services:
  postgres:
    image: postgres:17.6
  worker:
    build: { context: . }
    image: app:local
    environment: { METRICS_PORT: '9464', URL: 'x://\${USER_PASSWORD:?set it}@h/\${DB:-sales}', COST: '$$5' }
    ports: ['127.0.0.1:9465:9464']
  prometheus:
    image: prom/prometheus:v3
    ports: ['9090']
`);

  it('dclint: a key the Compose specification does not have', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docker-config-test-')), 'compose.yml');
    try {
      fs.writeFileSync(file, 'name: x\nservices:\n  a:\n    image: busybox:1.37\n    imagee: busybox\n');
      expect(lintComposeFile(file).join('\n')).toMatch(/error invalid-schema/);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  });

  it('tags: one image with two tags, an unpinned image, an IMAGES entry compose does not run', () => {
    const stages = parseDockerfile('FROM node:22-slim AS base\nFROM base AS runtime\nFROM node AS other\n');
    const uses = imageUses(compose, stages, { postgres: 'postgres:17.5', redpanda: 'redpanda:v1' });
    expect(checkImageTags(uses)).toEqual([
      `${DOCKERFILE} stage other (line 3): image node is not pinned to a version tag`,
      `image postgres has different tags: ${COMPOSE_FILE} service postgres → postgres:17.6; ${IMAGES_FILE} IMAGES.postgres → postgres:17.5`,
      `image node has different tags: ${DOCKERFILE} stage base (line 1) → node:22-slim; ${DOCKERFILE} stage other (line 3) → node`,
      `${IMAGES_FILE} IMAGES.redpanda: redpanda is not run by any service in ${COMPOSE_FILE}`,
    ]);
    expect(checkNodeMajor(uses, '^24.19.4')).toContain(
      `${DOCKERFILE} stage base (line 1): base image node:22-slim is not Node 24 (package.json: @types/node ^24.19.4)`,
    );
  });

  it('variables: read but not listed, listed but not read ($$ is no variable)', () => {
    expect([...composeVariables(compose)]).toEqual(['USER_PASSWORD', 'DB']);
    expect(checkEnvExample(composeVariables(compose), envFileNames('# x\nDB=sales\nOLD=1\n'))).toEqual([
      `${COMPOSE_FILE} reads \${USER_PASSWORD}, which ${ENV_EXAMPLE} does not list`,
      `${ENV_EXAMPLE} lists OLD, which ${COMPOSE_FILE} never reads`,
    ]);
  });

  it('secured overlay: a worker in plaintext, a URL without verify-full, a password on a command line, no SASL', () => {
    const overlay = parseCompose(`
services:
  worker:
    environment: { KAFKA_SECURITY_PROTOCOL: PLAINTEXT, DATABASE_URL: 'postgres://u@h/db?sslmode=require' }
    healthcheck: { test: ['CMD-SHELL', 'curl -u admin:\${CONNECT_PASSWORD} http://x'] }
  connect:
    environment: { CONNECT_REST_EXTENSION_CLASSES: org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension }
`);
    const base = parseCompose('services:\n  worker:\n    environment: { KAFKA_BROKERS: k:9092 }\n');
    expect(checkSecureOverlay(base, overlay)).toEqual([
      `${SECURE_FILE} service worker: KAFKA_SECURITY_PROTOCOL is PLAINTEXT, not SASL_SSL`,
      `${SECURE_FILE} service worker: KAFKA_SASL_MECHANISM is unset, not SCRAM-SHA-512`,
      `${SECURE_FILE} service worker: KAFKA_SSL_CA_FILE is unset, not /certs/ca.crt`,
      `${SECURE_FILE} service worker: no KAFKA_SASL_PASSWORD_FILE`,
      `${SECURE_FILE} service worker: DATABASE_URL does not ask for sslmode=verify-full`,
      `${SECURE_FILE} service worker: \${CONNECT_PASSWORD} on a command line (use a secret file)`,
      `${SECURE_FILE} service redpanda: its command does not set redpanda.enable_sasl=true`,
      `${SECURE_FILE} service redpanda: its command does not set redpanda.kafka_api_tls=`,
      `${SECURE_FILE} service postgres: its command does not set ssl=on`,
      `${SECURE_FILE} service postgres: its command does not set hba_file=`,
    ]);
  });

  it('prometheus: an unknown service, a port not served, a worker listening on loopback only', () => {
    const prometheus = {
      scrape_configs: [
        {
          job_name: 'j',
          static_configs: [{ targets: ['worker:9465', 'nope:1', 'localhost:9090', 'worker:9464'] }],
        },
      ],
    };
    expect(checkPrometheusTargets(prometheus, compose)).toEqual([
      `${PROMETHEUS_FILE}: job j, target worker:9465: service worker serves 9464 in ${COMPOSE_FILE}, not 9465`,
      `${PROMETHEUS_FILE}: job j, target nope:1: ${COMPOSE_FILE} has no service nope`,
      `${PROMETHEUS_FILE}: job j, target worker:9464: service worker listens on 127.0.0.1 (the default), unreachable from prometheus: set METRICS_HOST: 0.0.0.0 in ${COMPOSE_FILE}`,
    ]);
  });

  it('Dockerfile: a dist/ not copied, source copied, dev dependencies, root, another entrypoint', () => {
    const context: BuildContext = {
      hasPath: (p) => !p.endsWith('/dist') && !p.includes('/dist/'),
      isDirectory: (p) => !p.endsWith('.json'),
      buildPackages: ['a', 'b'],
    };
    const stages = parseDockerfile(`
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY a/package.json a/
COPY b/package.json b/
RUN npm ci
COPY a/ a/
COPY b/ b/
RUN npm run build
FROM node:24-slim
WORKDIR /app
COPY --from=build /app/ ./
ENTRYPOINT ["node", "x.js"]
`);
    const problems = checkDockerfileRuntime(stages, context, {
      workspaces: ['a', 'b', 'c'],
      bin: 'bin/run.js',
      files: [],
    });
    expect(problems).toEqual([
      `${DOCKERFILE}: the runtime stage (1) lacks /app/bin/run.js: no COPY brings it (from the context or a stage that has or builds it)`,
      `${DOCKERFILE}: the runtime stage (1) lacks /app/c/package.json: no COPY brings it (from the context or a stage that has or builds it)`,
      `${DOCKERFILE}: the runtime stage (1) lacks /app/c/dist: no COPY brings it (from the context or a stage that has or builds it)`,
      `${DOCKERFILE}: the runtime stage (1) holds /app/a/src (TypeScript source, line 13): copy only a/dist`,
      `${DOCKERFILE}: the runtime stage (1) holds /app/b/src (TypeScript source, line 13): copy only b/dist`,
      `${DOCKERFILE}: the runtime stage (1): node_modules comes from stage build line 7, without --omit=dev`,
      `${DOCKERFILE}: the runtime stage (1): node_modules comes from stage build line 7, without --ignore-scripts`,
      `${DOCKERFILE}: the runtime stage (1) runs as root: add USER node`,
      `${DOCKERFILE}: the runtime stage (1): ENTRYPOINT is ["node", "x.js"], expected ["node","bin/run.js"]`,
    ]);
  });
});
