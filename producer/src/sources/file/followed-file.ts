import fs from 'node:fs/promises';

/** Identity of a file on disk: a rotation gives the path a new inode. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
}

/**
 * A followed file, read through one open descriptor like `tail -F`: bytes appended to the file we
 * opened are read from it even after the path was renamed away, until we choose to reopen the path.
 */
export class FollowedFile {
  private handle: fs.FileHandle | undefined;
  identity: FileIdentity | undefined;

  constructor(readonly path: string) {}

  /** Opens (or reopens) the path. Returns false when the file does not exist (yet). */
  async open(): Promise<boolean> {
    await this.close();
    try {
      this.handle = await fs.open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const stat = await this.handle.stat();
    this.identity = { dev: stat.dev, ino: stat.ino, size: stat.size };
    return true;
  }

  /** What the path names now (it may be another file than the one open), or undefined if missing. */
  async statPath(): Promise<FileIdentity | undefined> {
    try {
      const stat = await fs.stat(this.path);
      return { dev: stat.dev, ino: stat.ino, size: stat.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Size of the open file now. */
  async size(): Promise<number> {
    if (!this.handle) return 0;
    return (await this.handle.stat()).size;
  }

  /** Up to `length` bytes of the open file from `position` (fewer at its end). */
  async read(position: number, length: number): Promise<Buffer> {
    if (!this.handle) return Buffer.alloc(0);
    // Only as much as the file holds: a follower that is caught up allocates nothing.
    const available = Math.min(length, Math.max(0, (await this.handle.stat()).size - position));
    if (available === 0) return Buffer.alloc(0);
    const buffer = Buffer.allocUnsafe(available);
    const { bytesRead } = await this.handle.read(buffer, 0, available, position);
    return buffer.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
