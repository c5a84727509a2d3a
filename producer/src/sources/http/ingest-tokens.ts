import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';

/**
 * Who may post sales, and for which source. INGEST_TOKEN is one token valid for every source;
 * INGEST_TOKENS_FILE holds one token per source as the sha256 of the token (hex), so that a leaked till
 * token is revoked alone and the file holds no secret: `{"pos-lyon": "9f86d0…"}` (`echo -n "$TOKEN" |
 * sha256sum`). Tokens are compared as sha256 digests with `timingSafeEqual`: in constant time.
 */
export class IngestTokens {
  private constructor(
    private readonly anySource: Buffer | undefined,
    private readonly bySource: Map<string, Buffer>,
  ) {}

  static from(token: string | undefined, file: string | undefined): IngestTokens {
    const bySource = new Map<string, Buffer>();
    if (file) {
      const parsed = z
        .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/), z.string().regex(/^[0-9a-f]{64}$/))
        .safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (!parsed.success)
        throw new Error(
          `${file} must be a JSON object of source → sha256 of its token (64 hex digits): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      for (const [source, hex] of Object.entries(parsed.data)) bySource.set(source, Buffer.from(hex, 'hex'));
    }
    return new IngestTokens(token ? digest(token) : undefined, bySource);
  }

  /** The sources a bearer token may post for: 'any', some, or none (an unknown token). */
  sourcesOf(authorization: string | undefined): 'any' | Set<string> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const sources = new Set<string>();
    if (!match) return sources;
    const presented = digest(match[1] as string);
    if (this.anySource && crypto.timingSafeEqual(presented, this.anySource)) return 'any';
    for (const [source, hash] of this.bySource)
      if (crypto.timingSafeEqual(presented, hash)) sources.add(source);
    return sources;
  }
}

const digest = (token: string) => crypto.createHash('sha256').update(token).digest();
