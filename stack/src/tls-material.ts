import fs from 'node:fs';
import path from 'node:path';
import { MissingPrerequisiteError } from '@sales-pipeline/platform';
import { runCommand } from './processes.ts';

/** The files of a secured native stack's TLS, under `<home>/tls` (0700; every file 0600). */
export interface TlsMaterial {
  dir: string;
  /** The stack's own CA: clients check the broker's certificate against it (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** The broker's private key (PKCS#8) and certificate (127.0.0.1 and localhost), in one PEM file. */
  serverBundleFile: string;
  /** The same key and certificate apart, for PostgreSQL (which serves TLS with them). */
  serverKeyFile: string;
  serverCertFile: string;
  /** The SCRAM password of the clients' Kafka user, for KAFKA_SASL_PASSWORD_FILE. */
  kafkaPasswordFile: string;
  /** The Connect REST API's password (user {@link CONNECT_USER}), for CONNECT_PASSWORD_FILE. */
  connectPasswordFile: string;
}

/** The user of a secured stack's Connect REST API (basic auth). */
export const CONNECT_USER = 'sales-pipeline';

/** The secrets a secured stack's clients read from files. */
export interface TlsSecrets {
  kafkaClient: string;
  connect: string;
}

function materialPaths(home: string): TlsMaterial {
  const dir = tlsDir(home);
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    serverBundleFile: path.join(dir, 'broker.pem'),
    serverKeyFile: path.join(dir, 'broker.key'),
    serverCertFile: path.join(dir, 'broker.crt'),
    kafkaPasswordFile: path.join(dir, 'kafka-client.password'),
    connectPasswordFile: path.join(dir, 'connect.password'),
  };
}

export const tlsDir = (home: string) => path.join(home, 'tls');

/**
 * The CA and the servers' certificate (the broker's and PostgreSQL's), generated with openssl at the first
 * start of a secured stack and kept in the stack's home: later starts reuse them (clients keep trusting the
 * same CA). The CA's key never leaves the directory. The clients' passwords are written to their files.
 */
export async function ensureTlsMaterial(home: string, secrets: TlsSecrets): Promise<TlsMaterial> {
  const material = materialPaths(home);
  const { dir } = material;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  for (const [file, secret] of [
    [material.kafkaPasswordFile, secrets.kafkaClient],
    [material.connectPasswordFile, secrets.connect],
  ] as const)
    if (!fs.existsSync(file)) fs.writeFileSync(file, secret, { mode: 0o600 });
  if (fs.existsSync(material.caFile) && fs.existsSync(material.serverBundleFile)) return material;
  const openssl = async (args: string[]) => {
    try {
      await runCommand('openssl', args, { cwd: dir });
    } catch (error) {
      if ((error as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT')
        throw new MissingPrerequisiteError(
          'openssl',
          'A secured stack makes its CA and certificates with openssl: install it (apt-get install openssl).',
        );
      throw error;
    }
  };
  const days = '3650';
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'ca.key']);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    days,
    '-subj',
    '/CN=sales-pipeline stack CA',
    '-out',
    'ca.pem',
  ]);
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'broker.key']);
  await openssl(['req', '-new', '-key', 'broker.key', '-subj', '/CN=localhost', '-out', 'broker.csr']);
  fs.writeFileSync(
    path.join(dir, 'broker.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    days,
    '-sha256',
    '-extfile',
    'broker.ext',
    '-out',
    'broker.crt',
  ]);
  // Kafka's PEM key store: the key (PKCS#8, as genpkey writes it) then the certificate chain.
  fs.writeFileSync(
    material.serverBundleFile,
    fs.readFileSync(path.join(dir, 'broker.key'), 'utf8') +
      fs.readFileSync(path.join(dir, 'broker.crt'), 'utf8'),
    { mode: 0o600 },
  );
  for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), 0o600);
  return material;
}

/** The material of a stack secured earlier (status, down, restart, the clients): paths only, nothing made. */
export function existingTlsMaterial(home: string): TlsMaterial {
  return materialPaths(home);
}
