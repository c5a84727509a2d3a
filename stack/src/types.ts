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
  mode: 'native' | 'docker' | 'none';
  home: string;
  endpoints: StackEndpoints | null;
  components: ComponentHealth[];
  healthy: boolean;
}
