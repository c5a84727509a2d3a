import fs from 'node:fs';
import path from 'node:path';
import type { JarCache } from './jar-cache.ts';
import { javaArgs, renderProperties } from './java-process.ts';
import type { Prerequisites } from './prerequisites.ts';
import { livePid, spawnDetached, stopProcess, waitFor } from './processes.ts';

/** What every JVM of the native stack (the Kafka broker, Kafka Connect) is given. */
export interface JavaNodeOptions {
  dir: string;
  port: number;
  heapMb: number;
  jars: JarCache;
  prerequisites: Prerequisites;
  startTimeoutMs: number;
}

/**
 * One JVM of the native stack under its own directory: `<name>.log`, `<name>.pid` and a properties file
 * there. It is started detached and waited for until `ping()` answers; stopping it is SIGTERM, then
 * SIGKILL after a timeout. The subclasses say what runs and how it answers.
 */
export abstract class JavaNode<Options extends JavaNodeOptions> {
  readonly logFile: string;
  readonly pidFile: string;
  readonly propertiesFile: string;

  protected constructor(
    protected readonly options: Options,
    name: string,
    propertiesFileName: string,
  ) {
    this.logFile = path.join(options.dir, `${name}.log`);
    this.pidFile = path.join(options.dir, `${name}.pid`);
    this.propertiesFile = path.join(options.dir, propertiesFileName);
  }

  /** `true` once the node serves what its clients need. */
  abstract ping(): Promise<true | undefined>;

  pid(): number | undefined {
    return livePid(this.pidFile);
  }

  protected writeProperties(entries: Record<string, string | number>): void {
    fs.mkdirSync(this.options.dir, { recursive: true });
    fs.writeFileSync(this.propertiesFile, renderProperties(entries));
  }

  /** Starts `mainClass` on the properties file and waits until `ping()` answers (or the JVM exits). */
  protected async launch(
    what: string,
    mainClass: string,
    options: {
      env?: NodeJS.ProcessEnv;
      isFatal?: (error: unknown) => boolean;
      /** `-D…` options (never a secret: the command line is visible to every user of the machine). */
      jvmOptions?: string[];
    } = {},
  ): Promise<void> {
    spawnDetached(
      this.options.prerequisites.java,
      javaArgs(
        this.options.jars,
        this.options.heapMb,
        mainClass,
        [this.propertiesFile],
        'info',
        options.jvmOptions,
      ),
      { logFile: this.logFile, pidFile: this.pidFile, env: options.env },
    );
    await waitFor(what, () => this.ping(), {
      timeoutMs: this.options.startTimeoutMs,
      intervalMs: 500,
      // The log's last lines in the message itself: a test's stack home is gone by the time anyone looks.
      hint: () => `See ${this.logFile}; its last lines:\n${lastLines(this.logFile, 15)}`,
      stillRunning: () => this.pid() !== undefined,
      isFatal: options.isFatal,
    });
  }

  async stop(timeoutMs: number): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined) await stopProcess(pid, timeoutMs);
    fs.rmSync(this.pidFile, { force: true });
  }
}

/** The last `count` lines of a file ('' when it cannot be read). */
function lastLines(file: string, count: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-16_384).trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}
