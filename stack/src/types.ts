/** Where the running stack can be reached. URLs carry no password unless said otherwise. */
export interface StackEndpoints {
  /** Application role (writer), e.g. `postgres://sales_app@127.0.0.1:54321/sales`. */
  databaseUrl: string;
  /** Comma-separated bootstrap servers, e.g. `127.0.0.1:19092`. */
  kafkaBrokers: string;
  /** Kafka Connect REST API, e.g. `http://127.0.0.1:18083`. */
  connectUrl: string;
}

/** Passwords of the database roles. Never printed by `status`, never logged. */
export interface StackCredentials {
  admin: string;
  app: string;
  reader: string;
  cdc: string;
  /** SCRAM passwords of a secured stack's Kafka users: the broker's own (`admin`) and the clients' (`sales`). */
  kafkaAdmin?: string | undefined;
  kafkaClient?: string | undefined;
  /** A secured stack's Connect REST API login (user `sales-pipeline`, basic auth). */
  connect?: string | undefined;
}

export type ComponentName = 'postgres' | 'kafka' | 'connect' | 'connector';

export interface ComponentHealth {
  name: ComponentName;
  healthy: boolean;
  /** One line: what is running, or what is wrong. */
  detail: string;
  pid?: number;
}

export interface StackStatus {
  mode: 'native' | 'docker' | 'external' | 'none';
  home: string;
  endpoints: StackEndpoints | null;
  components: ComponentHealth[];
  healthy: boolean;
}

/** A running stack as the launcher hands it to callers (tests, `up`). */
export interface RunningStack {
  /** `external`: an existing cluster, database and Connect (`up --external`): nothing started, nothing stopped. */
  mode: 'native' | 'docker' | 'external';
  endpoints: StackEndpoints;
  /** Connection URLs with passwords, for workers and tests in this process. Never print them. */
  secrets: { databaseUrl: string; readerDatabaseUrl: string; adminDatabaseUrl: string };
  /** Stops every component; the data stays for the next `up`. */
  down(): Promise<void>;
  /** Stops only the components this start started (those that ran before stay): undoes a failed `up`. */
  stopStarted(): Promise<void>;
}
