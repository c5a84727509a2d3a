import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { Env } from './config.ts';
import { ConfigError } from './errors.ts';

/** How every Kafka client of the project reaches the brokers: TLS and SASL, as kafkajs takes them. */
export interface KafkaSecurity {
  ssl?: ConnectionOptions | undefined;
  sasl?: SASLOptions | undefined;
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
const MECHANISMS = {
  PLAIN: 'plain',
  'SCRAM-SHA-256': 'scram-sha-256',
  'SCRAM-SHA-512': 'scram-sha-512',
} as const;

/** The variables read here (each secret also as `<NAME>_FILE`, the Docker/Kubernetes secrets convention). */
export const KAFKA_SECURITY_VARIABLES = [
  'KAFKA_SECURITY_PROTOCOL',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SSL_KEY_PASSWORD',
] as const;

/**
 * A secret from `name` or from the file `name_FILE` names (its content, trailing line ending removed); a
 * problem is added when both are set or the file cannot be read. Never the value in a message.
 */
export function secretFromEnv(env: Env, name: string, problems: string[]): string | undefined {
  // An empty variable is an unset one (`KAFKA_SASL_PASSWORD_FILE=` to override an exported one).
  const direct = env[name] || undefined;
  const file = env[`${name}_FILE`] || undefined;
  if (direct !== undefined && file !== undefined) {
    problems.push(`${name} and ${name}_FILE: set one of them, not both`);
    return undefined;
  }
  if (file === undefined) return direct;
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function readPem(env: Env, name: string, problems: string[]): string | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('-----BEGIN ')) problems.push(`${name}: ${file} is not a PEM file`);
    return text;
  } catch (error) {
    problems.push(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/**
 * The Kafka security settings of the environment, validated: KAFKA_SECURITY_PROTOCOL (`PLAINTEXT` by
 * default, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`), KAFKA_SASL_MECHANISM (`PLAIN`, `SCRAM-SHA-256`,
 * `SCRAM-SHA-512`), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or `_FILE`), KAFKA_SSL_CA_FILE (PEM: the
 * CA the brokers' certificates are checked against; default the system's), KAFKA_SSL_CERT_FILE and
 * KAFKA_SSL_KEY_FILE (mTLS) with KAFKA_SSL_KEY_PASSWORD (or `_FILE`). A SASL protocol without its
 * mechanism, user or password, a TLS file without TLS, a file that cannot be read: a {@link ConfigError}
 * naming each (exit code 2 at start), never a connection that hangs.
 */
export function kafkaSecurity(env: Env = process.env): KafkaSecurity {
  const problems: string[] = [];
  const protocol = (env.KAFKA_SECURITY_PROTOCOL ?? 'PLAINTEXT').trim().toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError([`KAFKA_SECURITY_PROTOCOL: must be one of ${PROTOCOLS.join(', ')}`]);
  }
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const sasl = protocol.startsWith('SASL_');
  const security: KafkaSecurity = {};
  if (tls) {
    const ca = readPem(env, 'KAFKA_SSL_CA_FILE', problems);
    const cert = readPem(env, 'KAFKA_SSL_CERT_FILE', problems);
    const key = readPem(env, 'KAFKA_SSL_KEY_FILE', problems);
    const passphrase = secretFromEnv(env, 'KAFKA_SSL_KEY_PASSWORD', problems);
    if ((cert === undefined) !== (key === undefined) && !problems.some((p) => p.startsWith('KAFKA_SSL_')))
      problems.push(
        'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: give both (a client certificate and its key) or neither',
      );
    security.ssl = {
      rejectUnauthorized: true,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(passphrase ? { passphrase } : {}),
    };
  } else {
    for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'])
      if (env[name])
        problems.push(`${name}: only with KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL (it is ${protocol})`);
  }
  if (sasl) {
    const mechanism = env.KAFKA_SASL_MECHANISM?.trim().toUpperCase();
    const username = secretFromEnv(env, 'KAFKA_SASL_USERNAME', problems);
    const password = secretFromEnv(env, 'KAFKA_SASL_PASSWORD', problems);
    if (!mechanism || !(mechanism in MECHANISMS))
      problems.push(
        `KAFKA_SASL_MECHANISM: is required with ${protocol}: one of ${Object.keys(MECHANISMS).join(', ')}`,
      );
    const said = (name: string) => problems.some((p) => p.startsWith(name));
    if (!username && !said('KAFKA_SASL_USERNAME'))
      problems.push(`KAFKA_SASL_USERNAME: is required with ${protocol} (or KAFKA_SASL_USERNAME_FILE)`);
    if (!password && !said('KAFKA_SASL_PASSWORD'))
      problems.push(`KAFKA_SASL_PASSWORD: is required with ${protocol} (or KAFKA_SASL_PASSWORD_FILE)`);
    if (mechanism && mechanism in MECHANISMS && username && password)
      security.sasl = {
        mechanism: MECHANISMS[mechanism as keyof typeof MECHANISMS],
        username,
        password,
      } as SASLOptions;
  } else if (
    env.KAFKA_SASL_MECHANISM ||
    env.KAFKA_SASL_USERNAME ||
    env.KAFKA_SASL_PASSWORD ||
    env.KAFKA_SASL_PASSWORD_FILE
  ) {
    problems.push(
      `KAFKA_SASL_*: only with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL (it is ${protocol})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return security;
}

/** One error of a chain: its name, message, and what kafkajs and Node add (code, protocol type, retriable). */
export interface ChainedError {
  name: string;
  message: string;
  code?: string | undefined;
  type?: string | undefined;
  retriable?: boolean | undefined;
}

/** An error and its causes (kafkajs wraps the real one in `cause` or `originalError`). */
export function errorChain(error: unknown): ChainedError[] {
  const chain: ChainedError[] = [];
  let current = error as {
    name?: string;
    message?: string;
    code?: string;
    type?: string;
    retriable?: boolean;
    cause?: unknown;
    originalError?: unknown;
  };
  for (let i = 0; current && i < 6; i++) {
    chain.push({
      name: String(current.name),
      message: String(current.message),
      code: current.code,
      type: current.type,
      retriable: current.retriable,
    });
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return chain;
}

/** Node's codes for a server certificate that does not verify (unknown CA, another host's, expired). */
export const UNTRUSTED_CERTIFICATE_CODES =
  /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO/;

/**
 * A Kafka failure no retry can mend (the broker refused the credentials, its certificate is not trusted),
 * as a {@link ConfigError} that names the brokers and the cause, and never the secret: the worker exits
 * with code 2 and `up`'s supervisor does not restart it. Any other error: undefined.
 */
export function kafkaAccessError(error: unknown, brokers: readonly string[]): ConfigError | undefined {
  const chain = errorChain(error);
  const where = `Kafka at ${brokers.join(',')}`;
  const sasl = chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (sasl)
    return new ConfigError([
      `${where} refused the credentials (${sasl.message}): check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or its _FILE)`,
    ]);
  const tls = chain.find((e) => UNTRUSTED_CERTIFICATE_CODES.test(e.code ?? ''));
  if (tls)
    return new ConfigError([
      `${where}: its TLS certificate is not trusted (${tls.code}: ${tls.message}): set KAFKA_SSL_CA_FILE to the CA that signed it, and connect by a name or address the certificate holds`,
    ]);
  return undefined;
}
