#!/usr/bin/env node
// The sales-pipeline command. The code is TypeScript, loaded through tsx: no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv);
process.exitCode = code;
// Normally the process ends here, once its output is flushed. But a client library may keep a handle
// open after its work is over (kafkajs retrying a broker that went away, say): a worker that failed
// must still exit, so that its supervisor restarts it, rather than linger with its error printed.
globalThis.setTimeout(() => process.exit(code), 3000).unref();
