import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, isPortFree, reusePortOrPickFree } from './free-port.ts';

describe('reusePortOrPickFree', () => {
  it('keeps a preferred port that is free and not taken', async () => {
    const port = await freePort();
    expect(await reusePortOrPickFree(port)).toBe(port);
  });

  it('never gives a port another component was given, even a free one', async () => {
    const port = await freePort();
    expect(await isPortFree(port)).toBe(true);
    const other = await reusePortOrPickFree(port, new Set([port]));
    expect(other).not.toBe(port);
  });

  it('picks another port when the preferred one is in use', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const busy = (server.address() as net.AddressInfo).port;
    try {
      expect(await reusePortOrPickFree(busy)).not.toBe(busy);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
